/**
 * The spine's first recommender: what was viewed together with this session's recent items
 * (co-visitation learned by the stream), then trending, then popular items. The quality engine
 * replaces it behind the same interface.
 */
import type { FeatureReader } from '../features/feature-store.ts';
import type { Recommendation, RecommendationRequest, Recommender } from './recommender.ts';

const RECENT = 5;

export class CovisitRecommender implements Recommender {
  readonly name = 'covisit';

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const session = features.session(request);
    const scores = new Map<number, number>();
    const because = new Map<number, number>();
    const recent = session?.recentItems.slice(0, RECENT) ?? [];
    const inCart = new Set(session?.cart ?? []);
    recent.forEach((item, position) => {
      const neighbours = features.neighbours(item);
      if (!neighbours) return;
      let total = 0;
      for (const w of neighbours.values()) total += w;
      const recency = 1 / (1 + position);
      for (const [other, w] of neighbours) {
        if (inCart.has(other)) continue;
        const add = (recency * w) / total;
        const before = scores.get(other) ?? 0;
        scores.set(other, before + add);
        if (add > before) because.set(other, item);
      }
    });
    const out: Recommendation[] = [];
    const taken = new Set<number>();
    const ranked = [...scores].sort((a, b) => b[1] - a[1]);
    for (const [item, score] of ranked) {
      if (out.length >= request.k) break;
      const id = features.itemId(item);
      if (!allowed(id)) continue;
      taken.add(item);
      out.push({ itemId: id, score, reason: `viewed together with ${features.itemId(because.get(item)!)}` });
    }
    fill(out, taken, features.trending(request.k * 2 + recent.length), 'trending now', request.k, features, allowed, inCart);
    fill(out, taken, features.popular(request.k * 2 + recent.length), 'popular', request.k, features, allowed, inCart);
    return out;
  }
}

function fill(out: Recommendation[], taken: Set<number>, list: number[], reason: string, k: number, features: FeatureReader, allowed: (itemId: string) => boolean, skip: Set<number>): void {
  for (let rank = 0; rank < list.length && out.length < k; rank++) {
    const item = list[rank]!;
    if (taken.has(item) || skip.has(item)) continue;
    const id = features.itemId(item);
    if (!allowed(id)) continue;
    taken.add(item);
    // Fallback scores sit below any co-visitation score and keep the list's order.
    out.push({ itemId: id, score: 1e-6 / (1 + rank), reason });
  }
}
