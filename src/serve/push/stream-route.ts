/**
 * GET /v1/stream?sessionId=...: live recommendations as server-sent events. On connect the
 * current list is sent; after each change the processor announces for the session, a fresh list
 * is pushed (only when it differs from the last one sent). Announcements coalesce: a connection
 * recomputes at most once per event-loop turn and never runs two computations at once.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Metrics } from '../../ops/metrics.ts';
import type { System } from '../../system.ts';
import { recommendationJson } from '../list-json.ts';
import { listRequestFields, recommendationList } from '../recommendations.ts';

const { explain: _explain, ...fields } = listRequestFields;
const StreamQuery = Type.Object({ ...fields, sessionId: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
type StreamQuery = Static<typeof StreamQuery>;

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** How long a browser waits before reconnecting a dropped stream (EventSource `retry`). */
const RECONNECT_MS = 1000;

export function streamRoutes(app: FastifyInstance, system: System, metrics: Metrics): void {
  const open = new Set<ServerResponse>();
  // Streams never end on their own: close them so that closing the server does not wait forever.
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.get('/v1/stream', { schema: { querystring: StreamQuery } }, async (request, reply) => {
    const query = request.query as StreamQuery;
    const response = reply.raw;
    reply.hijack();
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(`retry: ${RECONNECT_MS}\n\n`);
    open.add(response);
    metrics.streamsOpen.inc();

    let lastSent = '';
    let scheduled = false;
    let computing = false;
    let again = false;
    let closed = false;
    const push = async () => {
      scheduled = false;
      if (closed) return;
      if (computing || response.writableNeedDrain) {
        again = true;
        return;
      }
      computing = true;
      try {
        const list = recommendationJson(await recommendationList(system, query, metrics)).toString();
        if (!closed && list !== lastSent) {
          lastSent = list;
          response.write(`event: recommendations\ndata: ${list}\n\n`);
          metrics.streamPushes.inc();
        }
      } catch (error) {
        request.log.error(error, 'live recommendations failed');
      } finally {
        computing = false;
      }
      if (again) {
        again = false;
        schedule();
      }
    };
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => void push());
    };
    const unsubscribe = system.updates.subscribe(query.sessionId, schedule);
    response.on('drain', () => {
      if (!again) return;
      again = false;
      schedule();
    });
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS).unref();
    response.on('close', () => {
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      open.delete(response);
      metrics.streamsOpen.dec();
    });
    await push();
  });
}
