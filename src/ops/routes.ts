/** Health, readiness and metrics. */
import type { FastifyInstance } from 'fastify';
import type { System } from '../system.ts';
import type { Metrics } from './metrics.ts';

export function opsRoutes(app: FastifyInstance, system: System, metrics: Metrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  // A collector alone is ready once its log is open; the other roles once the log tail is applied.
  const followsProcessing = system.roles.some((role) => role !== 'collector');
  app.get('/readyz', async (_request, reply) => {
    if (followsProcessing && !system.processor.ready) return reply.code(503).send({ status: 'recovering', positions: system.processor.positions });
    return { status: 'ready', positions: system.processor.positions, ...system.store.stats() };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
