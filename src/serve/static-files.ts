/**
 * Files the server sends as they are on disk: the tracker's script-tag builds at /tracker/ (so a
 * shop can load the tracker from its Sessionwise server) and the demo shop's assets.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';

/** Sends a file under the repository root; 503 when it is a build output not built yet. */
export async function sendBuiltFile(reply: FastifyReply, path: string, type: string, cacheControl: string): Promise<FastifyReply> {
  let body: Buffer;
  try {
    body = await readFile(join(PACKAGE_ROOT, path));
  } catch {
    return reply.code(503).send({ error: `${path} is not built; run npm run build` });
  }
  return reply.type(type).header('cache-control', cacheControl).send(body);
}

export function trackerScriptRoutes(app: FastifyInstance): void {
  app.get('/tracker/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!/^sessionwise(-[a-z]+)?\.js$/.test(file)) return reply.code(404).send({ error: `no tracker script ${file}` });
    // Short caching: a new release reaches pages within minutes.
    return sendBuiltFile(reply.header('access-control-allow-origin', '*'), `src/tracker/dist/iife/${file}`, 'text/javascript; charset=utf-8', 'public, max-age=300');
  });
}
