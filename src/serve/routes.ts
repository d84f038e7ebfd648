/** Serving routes: recommendations (with read-your-writes), forgetting a user, catalog upserts, feature views. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CatalogValidationError } from '../catalog/catalog.ts';
import { deviceName } from '../features/memory/session-table.ts';
import type { Metrics } from '../ops/metrics.ts';
import { decodeToken } from '../stream/processor.ts';
import type { System } from '../system.ts';
import { recommendationJson } from './list-json.ts';
import { Decision, listRequestFields, recommendationList, ShownItem } from './recommendations.ts';
import { TurnBatch } from './turn-batch.ts';

const RecommendationQuery = Type.Object(
  { ...listRequestFields, after: Type.Optional(Type.String({ maxLength: 4096, description: 'Token from POST /v1/events: answer once those events are applied.' })) },
  { additionalProperties: false },
);

const JSON_TYPE = 'application/json; charset=utf-8';

const ForgetBody = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 128, description: 'The pseudonymous user id the tracker sends (hashed in the browser).' }) }, { additionalProperties: false });

const RecommendationResponse = Type.Object({ strategy: Type.String(), fresh: Type.Boolean(), items: Type.Array(ShownItem), decisions: Type.Optional(Type.Array(Decision)) });

export function servingRoutes(app: FastifyInstance, system: System, metrics: Metrics): void {
  const { store, catalog, processor, config } = system;
  const batch = new TurnBatch();

  // The schema documents the answer; the handler writes it as bytes (serve/list-json.ts), which
  // Fastify sends as they are.
  const schema = { querystring: RecommendationQuery, response: { 200: RecommendationResponse, 400: Type.Object({ error: Type.String() }) } };
  app.get('/v1/recommendations', { schema }, async (request, reply) => {
    const query = request.query as Static<typeof RecommendationQuery>;
    let fresh = true;
    if (query.after !== undefined) {
      let need: number[];
      try {
        need = decodeToken(query.after, system.log.partitions);
      } catch (error) {
        return reply.code(400).send({ error: `after: ${(error as Error).message}` });
      }
      fresh = await processor.waitFor(need, config.freshnessWaitMs);
    }
    const list = await batch.run(() => recommendationList(system, query, metrics));
    if (!fresh) reply.header('sessionwise-fresh', 'false');
    return reply.type(JSON_TYPE).send(recommendationJson({ ...list, fresh }));
  });

  app.post('/v1/forget', { schema: { body: ForgetBody } }, async (request) => {
    const { userId } = request.body as Static<typeof ForgetBody>;
    // Events accepted before the request would bring the user back if applied after the deletion.
    const caughtUp = await processor.waitFor(await system.log.endOffsets('events'), config.freshnessWaitMs);
    await store.forgetUser(userId);
    return { forgotten: true, caughtUp };
  });

  app.post('/v1/items', async (request, reply) => {
    try {
      return { upserted: await catalog.upsert(request.body) };
    } catch (error) {
      if (error instanceof CatalogValidationError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });

  app.get('/v1/items/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const item = catalog.get(id);
    const counts = await store.itemCounts(id);
    if (!item && !counts) return reply.code(404).send({ error: `no item ${id}` });
    return { item: item ?? null, stats: counts ?? null };
  });

  app.get(
    '/v1/sessions/:sessionId',
    async (request, reply) => {
      const { sessionId } = request.params as { sessionId: string };
      const features = await store.reader({ sessionId });
      const view = features.session({ sessionId });
      if (!view) return reply.code(404).send({ error: `no live session ${sessionId}` });
      return {
        ...view,
        device: deviceName(view.device) ?? null,
        recentItems: view.recentItems.map((i) => features.itemId(i)),
        cart: view.cart.map((i) => features.itemId(i)),
        interests: view.interests.map(({ category, weight }) => ({ category: features.categoryName(category), weight })),
      };
    },
  );
}
