/**
 * Session-based nearest neighbours in the VMIS-kNN family (V-SKNN scoring over an
 * item → recent-sessions index, as bol.com's Serenade serves it), blended with the sequential
 * signal of what follows the last item and with re-visits within the session.
 *
 * 1. Position weights: the session's i-th most recent distinct item weighs 1 / i^positionDecay.
 * 2. Neighbours: for each session item, its `sampleSize` most recent sessions; similarity sums
 *    the weights of shared items (times IDF^idfWeight); the k most similar are kept.
 * 3. Item scores: each neighbour adds its similarity to its items, decayed by their distance from
 *    the neighbour's last click shared with this session (1 / (1 + d)^distanceDecay), times
 *    IDF^idfScore.
 * 4. Blend: normalised kNN score + sequential weight x normalised forward co-visitation of the
 *    last item + revisit weight x the item's own position weight in the session.
 * Every weight is a hyperparameter chosen by `sessionwise tune` on a validation split.
 */
import type { FeatureReader } from '../features/feature-store.ts';
import type { Recommendation, RecommendationRequest, Recommender } from './recommender.ts';
import { ScoreBoard } from './top-k.ts';

export interface SessionKnnParams {
  /** Neighbour sessions kept (k). */
  neighbours: number;
  /** Most recent sessions looked at per session item (m). */
  sampleSize: number;
  positionDecay: number;
  distanceDecay: number;
  idfWeight: number;
  idfScore: number;
  sequentialWeight: number;
  revisitWeight: number;
  /** Session items considered, most recent first. */
  maxSessionItems: number;
}

export const DEFAULT_KNN_PARAMS: SessionKnnParams = {
  neighbours: 100,
  sampleSize: 500,
  positionDecay: 1,
  distanceDecay: 1,
  idfWeight: 0,
  idfScore: 0,
  sequentialWeight: 0,
  revisitWeight: 0,
  maxSessionItems: 20,
};

export class SessionKnnRecommender implements Recommender {
  readonly name = 'session-knn';
  private readonly similarity = new ScoreBoard();
  private readonly scores = new ScoreBoard();
  private readonly blended = new ScoreBoard();
  private marks = new Float64Array(1024);

  constructor(readonly params: SessionKnnParams = DEFAULT_KNN_PARAMS) {}

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const p = this.params;
    const session = features.session(request);
    const index = features.sessionIndex();
    const recent = session?.recentItems.slice(0, p.maxSessionItems) ?? [];
    const own = session?.indexRecord;
    const totalSessions = Math.max(1, index.opened);
    const idf = (item: number) => Math.log(totalSessions / (1 + index.sessionCount(item)));

    // 1. Position weight of each distinct session item (most recent occurrence wins).
    const weights = new Map<number, number>();
    recent.forEach((item, i) => {
      if (!weights.has(item)) weights.set(item, 1 / Math.pow(i + 1, p.positionDecay));
    });
    this.ensureMarks(weights);
    for (const [item, w] of weights) this.marks[item] = w;

    // 2. Neighbour sessions by weighted overlap.
    for (const [item, w] of weights) {
      const add = p.idfWeight === 0 ? w : w * Math.pow(Math.max(idf(item), 1e-3), p.idfWeight);
      index.forEachRecentSession(item, p.sampleSize, (id) => {
        if (id !== own) this.similarity.add(id, add);
      });
    }
    const neighbours = this.similarity.takeTop(p.neighbours, () => true);

    // 3. Score the neighbours' items by similarity and distance from the last shared click.
    let maxKnn = 0;
    for (const [id, sim] of neighbours) {
      const sequence = index.sequence(id);
      let lastShared = -1;
      for (let j = sequence.length - 1; j >= 0; j--) {
        if (this.mark(sequence[j]!) > 0) {
          lastShared = j;
          break;
        }
      }
      for (let j = 0; j < sequence.length; j++) {
        const item = sequence[j]!;
        const distance = lastShared < 0 ? 0 : Math.abs(j - lastShared);
        let add = sim / Math.pow(1 + distance, p.distanceDecay);
        if (p.idfScore !== 0) add *= Math.pow(Math.max(idf(item), 1e-3), p.idfScore);
        const total = this.scores.add(item, add) + add;
        if (total > maxKnn) maxKnn = total;
      }
    }

    // 4. Blend in what follows the last item, and re-visits.
    const blended = this.blended;
    if (maxKnn > 0) this.scores.drainInto(blended, 1 / maxKnn);
    const last = recent[0];
    if (p.sequentialWeight > 0 && last !== undefined) {
      const next = features.neighbours(last);
      if (next) {
        let max = 0;
        for (const w of next.values()) if (w > max) max = w;
        for (const [item, w] of next) blended.add(item, (p.sequentialWeight * w) / max);
      }
    }
    if (p.revisitWeight > 0) for (const [item, w] of weights) blended.add(item, p.revisitWeight * w);
    for (const item of weights.keys()) this.marks[item] = 0;

    const inCart = new Set(session?.cart ?? []);
    const ranked = blended.takeTop(request.k, (item) => !inCart.has(item) && allowed(features.itemId(item)));
    const out: Recommendation[] = ranked.map(([item, score]) => ({
      itemId: features.itemId(item),
      score,
      reason: weights.has(item) ? 'viewed earlier in this session' : 'shoppers with sessions like this one viewed it',
    }));
    if (out.length < request.k) {
      const taken = new Set(ranked.map(([item]) => item));
      for (const item of features.popular(request.k * 2)) {
        if (out.length >= request.k) break;
        if (taken.has(item) || inCart.has(item)) continue;
        const id = features.itemId(item);
        if (allowed(id)) out.push({ itemId: id, score: 0, reason: 'popular' });
      }
    }
    return out;
  }

  private mark(item: number): number {
    return item < this.marks.length ? this.marks[item]! : 0;
  }

  private ensureMarks(items: Map<number, number>): void {
    let max = 0;
    for (const item of items.keys()) if (item > max) max = item;
    if (max >= this.marks.length) {
      const grown = new Float64Array(Math.max(max + 1, this.marks.length * 2));
      grown.set(this.marks);
      this.marks = grown;
    }
  }
}
