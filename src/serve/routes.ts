/** Serving routes: recommendations (with read-your-writes), forgetting a user, catalog upserts, feature views. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CatalogValidationError } from '../catalog/catalog.ts';
import { deviceName } from '../features/memory/session-table.ts';
import type { System } from '../system.ts';
import { RECOMMENDATIONS_PATH, type RecommendationsHandler } from './recommendations-endpoint.ts';

const ForgetBody = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 128, description: 'The pseudonymous user id the tracker sends (hashed in the browser).' }) }, { additionalProperties: false });

export function servingRoutes(app: FastifyInstance, system: System, answerRecommendations: RecommendationsHandler): void {
  const { store, catalog, processor, config } = system;

  // Answered by recommendations-endpoint.ts on node:http, which serve/http.ts hands the path to
  // before Fastify routes; `inject` and HEAD requests come this way to the same function.
  app.get(RECOMMENDATIONS_PATH, (request, reply) => {
    reply.hijack();
    answerRecommendations(request.url, reply.raw);
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
