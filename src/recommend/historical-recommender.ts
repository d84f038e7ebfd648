/**
 * The historical-only baseline: what the shopper's own past suggests (items viewed together with
 * their purchases), then popular items. It ignores the current session on purpose: evaluation
 * compares it with the session-aware engines to show what session context is worth.
 */
import type { FeatureReader } from '../features/feature-store.ts';
import type { Recommendation, RecommendationRequest, Recommender } from './recommender.ts';
import { HISTORY_REASON } from './session-knn.ts';
import { ScoreBoard } from './top-k.ts';

export class HistoricalRecommender implements Recommender {
  readonly name = 'historical';
  private readonly board = new ScoreBoard();

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const profile = request.userId === undefined ? undefined : features.userProfile(request.userId);
    for (const item of profile?.purchases ?? []) {
      const neighbours = features.neighbours(item);
      neighbours?.forEach((w, other) => this.board.add(other, w));
    }
    const top = this.board.takeTop(request.k, (item) => allowed(features.itemId(item)));
    const out: Recommendation[] = [];
    for (let r = 0; r < top.items.length; r++) out.push({ itemId: features.itemId(top.items[r]!), score: top.scores[r]!, reason: HISTORY_REASON });
    const taken = new Set(out.map((r) => r.itemId));
    for (const item of features.popular(request.k * 2)) {
      if (out.length >= request.k) break;
      const id = features.itemId(item);
      if (!taken.has(id) && allowed(id)) out.push({ itemId: id, score: 0, reason: 'popular' });
    }
    return out;
  }
}
