/**
 * One recommendation list for a request: the recommender's ranking, passed through the rules
 * and annotated from the catalog. GET /v1/recommendations and the live push stream both call it.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { FeatureReader } from '../features/feature-store.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { RuleContext, RuleDecision } from '../recommend/rules/rules.ts';
import type { System } from '../system.ts';

/** The request fields that shape a list (GET /v1/recommendations adds `after`, the stream none). */
export const listRequestFields = {
  sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  k: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'Shopper region, for region-restricted categories.' })),
  age: Type.Optional(Type.Integer({ minimum: 0, maximum: 150, description: 'Verified shopper age, for age-restricted categories.' })),
  explain: Type.Optional(Type.Boolean({ description: 'Also list what the rules removed, moved or pinned, and why.' })),
};
export type ListRequest = Static<TObject<typeof listRequestFields>>;

export const ShownItem = Type.Object({
  itemId: Type.String(),
  score: Type.Number(),
  reason: Type.String(),
  title: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  price: Type.Optional(Type.Number()),
  imageUrl: Type.Optional(Type.String()),
});

export interface RecommendationList {
  strategy: string;
  items: Array<Static<typeof ShownItem>>;
  decisions?: RuleDecision[];
}

/** Explanations kept per request: enough to see why, bounded for long candidate lists. */
const MAX_DECISIONS = 50;
const NOTHING_PURCHASED: ReadonlySet<string> = new Set();
const ALLOW_ALL = (): boolean => true;

/** The list for `request`: at once where the store holds the features in this process, else once its reads arrive. */
export function recommendationList(system: System, request: ListRequest, metrics: Metrics): RecommendationList | Promise<RecommendationList> {
  const features = system.store.reader(request);
  return features instanceof Promise ? features.then((read) => listFrom(system, read, request, metrics)) : listFrom(system, features, request, metrics);
}

function listFrom(system: System, features: FeatureReader, request: ListRequest, metrics: Metrics): RecommendationList {
  const { recommender, catalog, rules } = system;
  // Timed from here: requests that arrive together are started together (serve/turn-batch.ts),
  // so the time from the call would include the other lists of the batch computed meanwhile.
  const started = performance.now();
  const profile = request.userId === undefined ? undefined : features.userProfile(request.userId);
  const context: RuleContext = {
    categoryOf: catalog.categoryOf,
    isAvailable: catalog.isAvailable,
    anyUnavailable: catalog.hasUnavailable,
    purchased: profile ? new Set(profile.purchases.map((i) => features.itemId(i))) : NOTHING_PURCHASED,
    region: request.region,
    age: request.age,
  };
  const decisions: RuleDecision[] = [];
  const explained = request.explain ? new Set<string>() : undefined;
  const allowed = !rules.excludesAnything(context) ? ALLOW_ALL : (itemId: string) => {
    const excluded = rules.exclusion(itemId, context);
    if (excluded && explained && decisions.length < MAX_DECISIONS && !explained.has(itemId)) {
      explained.add(itemId);
      decisions.push(excluded);
    }
    return excluded === undefined;
  };
  // Over-fetch so that the per-category cap and pinned items still leave k to show.
  const fetch = rules.file.maxPerCategory === undefined ? request.k : Math.min(100, request.k * 3);
  const ranked = recommender.recommend({ sessionId: request.sessionId, userId: request.userId, k: fetch }, features, allowed);
  const items = rules.finish(ranked, request.k, context, decisions).map(({ itemId, score, reason }) => {
    const item = catalog.get(itemId);
    return item ? { itemId, score, reason, title: item.title, category: item.category, price: item.price, imageUrl: item.imageUrl } : { itemId, score, reason };
  });
  metrics.recommendationSeconds.observe((performance.now() - started) / 1000);
  const list = { strategy: recommender.name, items };
  return request.explain ? { ...list, decisions: decisions.slice(0, MAX_DECISIONS) } : list;
}
