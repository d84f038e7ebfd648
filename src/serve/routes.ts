/** Serving routes: recommendations (with read-your-writes), catalog upserts, feature views. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CatalogValidationError } from '../catalog/catalog.ts';
import type { Metrics } from '../ops/metrics.ts';
import { decodeToken } from '../stream/processor.ts';
import type { System } from '../system.ts';

const RecommendationQuery = Type.Object(
  {
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    k: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    after: Type.Optional(Type.String({ maxLength: 4096, description: 'Token from POST /v1/events: answer once those events are applied.' })),
  },
  { additionalProperties: false },
);

const RecommendationResponse = Type.Object({
  strategy: Type.String(),
  fresh: Type.Boolean(),
  items: Type.Array(
    Type.Object({
      itemId: Type.String(),
      score: Type.Number(),
      reason: Type.String(),
      title: Type.Optional(Type.String()),
      category: Type.Optional(Type.String()),
      price: Type.Optional(Type.Number()),
    }),
  ),
});

export function servingRoutes(app: FastifyInstance, system: System, metrics: Metrics): void {
  const { store, recommender, catalog, processor, config } = system;
  const allowed = (itemId: string) => catalog.isAvailable(itemId);

  app.get('/v1/recommendations', { schema: { querystring: RecommendationQuery, response: { 200: RecommendationResponse, 400: Type.Object({ error: Type.String() }) } } }, async (request, reply) => {
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
    const started = process.hrtime.bigint();
    const features = await store.reader(query);
    const ranked = recommender.recommend({ sessionId: query.sessionId, userId: query.userId, k: query.k }, features, allowed);
    const items = ranked.map((r) => {
      const item = catalog.get(r.itemId);
      return item ? { ...r, title: item.title, category: item.category, price: item.price } : r;
    });
    metrics.recommendationSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (!fresh) reply.header('sessionwise-fresh', 'false');
    return { strategy: recommender.name, fresh, items };
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
        recentItems: view.recentItems.map((i) => features.itemId(i)),
        cart: view.cart.map((i) => features.itemId(i)),
        interests: view.interests.map(({ category, weight }) => ({ category: features.categoryName(category), weight })),
      };
    },
  );
}
