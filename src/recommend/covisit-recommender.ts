/**
 * The spine's first recommender: what was viewed together with this session's recent items
 * (co-visitation learned by the stream), then trending, then popular items. The quality engine
 * replaces it behind the same interface.
 */
import type { FeatureReader, Neighbours } from '../features/feature-store.ts';
import type { Recommendation, RecommendationRequest, Recommender } from './recommender.ts';
import { ScoreBoard } from './top-k.ts';

const RECENT = 5;

export class CovisitRecommender implements Recommender {
  readonly name = 'covisit';
  private readonly board = new ScoreBoard();

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const session = features.session(request);
    const recent = session?.recentItems.slice(0, RECENT) ?? [];
    const inCart = new Set(session?.cart ?? []);
    const lists = recent.map((item) => features.neighbours(item));
    const totals = lists.map(totalWeight);
    lists.forEach((neighbours, position) => {
      const recency = 1 / (1 + position);
      neighbours?.forEach((w, other) => this.board.add(other, (recency * w) / totals[position]!));
    });
    const ranked = this.board.takeTop(request.k, (item) => !inCart.has(item) && allowed(features.itemId(item)));
    // One reason string per recent item, shared by the items it brought.
    const reasons = recent.map((item) => `viewed together with ${features.itemId(item)}`);
    const out: Recommendation[] = [];
    // Filled by hand: a Set built from the typed array goes through its iterator, slowly.
    const taken = new Set<number>();
    for (let r = 0; r < ranked.items.length; r++) {
      const item = ranked.items[r]!;
      taken.add(item);
      out.push({ itemId: features.itemId(item), score: ranked.scores[r]!, reason: reasons[strongestSource(item, lists, totals)]!, item });
    }
    const skip = (item: number) => taken.has(item) || inCart.has(item);
    fill(out, features.trending(request.k * 2 + RECENT), 'trending now', request.k, features, allowed, skip, taken);
    fill(out, features.popular(request.k * 2 + RECENT), 'popular', request.k, features, allowed, skip, taken);
    return out;
  }
}

function totalWeight(neighbours: Neighbours | undefined): number {
  if (neighbours === undefined) return 0;
  if (neighbours.total !== undefined) return neighbours.total;
  let total = 0;
  neighbours.forEach((w) => (total += w));
  return total;
}

/** Position of the recent item that added most to a candidate's score (found for the k shown, not for every candidate). */
function strongestSource(item: number, lists: ReadonlyArray<Neighbours | undefined>, totals: readonly number[]): number {
  let best = 0;
  let bestAdd = 0;
  for (let position = 0; position < lists.length; position++) {
    const add = (lists[position]?.get(item) ?? 0) / (totals[position]! * (1 + position));
    if (add > bestAdd) {
      best = position;
      bestAdd = add;
    }
  }
  return best;
}

function fill(
  out: Recommendation[],
  list: number[],
  reason: string,
  k: number,
  features: FeatureReader,
  allowed: (itemId: string) => boolean,
  skip: (item: number) => boolean,
  taken: Set<number>,
): void {
  for (let rank = 0; rank < list.length && out.length < k; rank++) {
    const item = list[rank]!;
    if (skip(item)) continue;
    const id = features.itemId(item);
    if (!allowed(id)) continue;
    taken.add(item);
    // Fallback scores sit below any co-visitation score and keep the list's order.
    out.push({ itemId: id, score: 1e-6 / (1 + rank), reason, item });
  }
}
