/** Serving routes: recommendations (with read-your-writes), catalog upserts, feature views. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CatalogValidationError } from '../catalog/catalog.ts';
import type { RuleContext, RuleDecision } from '../recommend/rules/rules.ts';
import type { Metrics } from '../ops/metrics.ts';
import { decodeToken } from '../stream/processor.ts';
import type { System } from '../system.ts';

const RecommendationQuery = Type.Object(
  {
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    k: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    after: Type.Optional(Type.String({ maxLength: 4096, description: 'Token from POST /v1/events: answer once those events are applied.' })),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'Shopper region, for region-restricted categories.' })),
    age: Type.Optional(Type.Integer({ minimum: 0, maximum: 150, description: 'Verified shopper age, for age-restricted categories.' })),
    explain: Type.Optional(Type.Boolean({ description: 'Also list what the rules removed, moved or pinned, and why.' })),
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
  decisions: Type.Optional(Type.Array(Type.Object({ itemId: Type.String(), rule: Type.String(), detail: Type.String() }))),
});

/** Explanations kept per request: enough to see why, bounded for long candidate lists. */
const MAX_DECISIONS = 50;
const NOTHING_PURCHASED: ReadonlySet<string> = new Set();

export function servingRoutes(app: FastifyInstance, system: System, metrics: Metrics): void {
  const { store, recommender, catalog, processor, config, rules } = system;

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
    const profile = query.userId === undefined ? undefined : features.userProfile(query.userId);
    const context: RuleContext = {
      categoryOf: catalog.categoryOf,
      isAvailable: (id) => catalog.isAvailable(id),
      purchased: profile ? new Set(profile.purchases.map((i) => features.itemId(i))) : NOTHING_PURCHASED,
      region: query.region,
      age: query.age,
    };
    const decisions: RuleDecision[] = [];
    const explained = query.explain ? new Set<string>() : undefined;
    const allowed = (itemId: string) => {
      const excluded = rules.exclusion(itemId, context);
      if (excluded && explained && decisions.length < MAX_DECISIONS && !explained.has(itemId)) {
        explained.add(itemId);
        decisions.push(excluded);
      }
      return excluded === undefined;
    };
    // Over-fetch so that the per-category cap and pinned items still leave k to show.
    const fetch = rules.file.maxPerCategory === undefined ? query.k : Math.min(100, query.k * 3);
    const ranked = recommender.recommend({ sessionId: query.sessionId, userId: query.userId, k: fetch }, features, allowed);
    const items = rules.finish(ranked, query.k, context, decisions).map((r) => {
      const item = catalog.get(r.itemId);
      return item ? { ...r, title: item.title, category: item.category, price: item.price } : r;
    });
    metrics.recommendationSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (!fresh) reply.header('sessionwise-fresh', 'false');
    return query.explain ? { strategy: recommender.name, fresh, items, decisions: decisions.slice(0, MAX_DECISIONS) } : { strategy: recommender.name, fresh, items };
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
