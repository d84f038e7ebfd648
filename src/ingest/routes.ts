/** Collector HTTP routes: POST /v1/events, GET /v1/schema, and the invalid-events admin API. */
import { Type } from '@sinclair/typebox';
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { jsonSchema } from '../events/schema.ts';
import { BatchError, MAX_BODY_BYTES, type Collector } from './collector.ts';
import type { Metrics } from '../ops/metrics.ts';

/** A body refused before it became JSON; it is kept in the invalid topic by the route. */
export class RejectedBody {
  constructor(
    readonly status: 400 | 413,
    readonly reason: string,
    readonly raw: string,
  ) {}
}

/** Parses JSON bodies strictly: the UTF-8 must be valid and the body at most 1 MB. */
export function parseJsonBody(buffer: Buffer): unknown {
  if (buffer.length > MAX_BODY_BYTES) return new RejectedBody(413, `body is ${buffer.length} bytes, the limit is ${MAX_BODY_BYTES} (1 MB); split the batch`, buffer.toString('utf8', 0, MAX_BODY_BYTES));
  // Checked first, as toString would replace bad sequences with U+FFFD; a leading BOM is dropped,
  // as the TextDecoder this replaced did.
  if (!isUtf8(buffer)) return new RejectedBody(400, 'body is not valid UTF-8', buffer.toString('latin1'));
  const text = buffer.toString('utf8', buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0);
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message quotes the body clipped by UTF-16 units, possibly inside a surrogate pair.
    return new RejectedBody(400, `body is not JSON: ${(error as Error).message}`.toWellFormed(), text);
  }
}

export function collectorRoutes(app: FastifyInstance, collector: Collector, metrics: Metrics): void {
  const schema = jsonSchema();
  app.get('/v1/schema', async () => schema);

  app.post('/v1/events', async (request, reply) => {
    const receivedAt = Date.now();
    const body = request.body;
    if (body instanceof RejectedBody) {
      await collector.keepBody(body.raw, body.reason, receivedAt);
      metrics.rejectedBodies.inc();
      return reply.code(body.status).send({ error: body.reason });
    }
    try {
      const result = await collector.ingest(body, receivedAt);
      metrics.eventsAccepted.inc(result.accepted);
      metrics.eventsRejected.inc(result.rejected.length);
      return result;
    } catch (error) {
      if (error instanceof BatchError) {
        metrics.rejectedBodies.inc();
        return reply.code(error.status).send({ error: error.message });
      }
      throw error;
    }
  });

  app.get(
    '/v1/admin/invalid',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }) }) } },
    async (request) => {
      const { limit } = request.query as { limit: number };
      return { events: await collector.invalidTail(limit) };
    },
  );

  app.post(
    '/v1/admin/invalid/replay',
    { schema: { querystring: Type.Object({ from: Type.Integer({ minimum: 0, default: 0 }), limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }) }) } },
    async (request) => {
      const { from, limit } = request.query as { from: number; limit: number };
      return collector.replayInvalid(from, limit);
    },
  );
}
