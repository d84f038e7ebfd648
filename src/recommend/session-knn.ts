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
 * Every weight is a hyperparameter chosen by `sessionwise tune` on a validation split. The
 * candidates carry their signals as features, which the learned ranker (ranker/) re-scores.
 */
import type { FeatureReader, Neighbours } from '../features/feature-store.ts';
import type { SessionView } from '../features/memory/session-table.ts';
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

/** The signals of one candidate, the learned ranker's inputs. */
export const CANDIDATE_FEATURES = [
  'blended',
  'knn',
  'revisit',
  'isLast',
  'occurrences',
  'nextOfLast',
  'nextOfSecondLast',
  'popularity',
  'neighbourShare',
  'sessionLength',
  'lastSeen',
  'recentShare',
  'covisitedWithSession',
] as const;
export const FEATURE_COUNT = CANDIDATE_FEATURES.length;
/** Column of each feature in a candidate row. */
export const FEATURE = Object.fromEntries(CANDIDATE_FEATURES.map((name, i) => [name, i])) as { [K in (typeof CANDIDATE_FEATURES)[number]]: number };

export interface CandidateSet {
  session: SessionView | undefined;
  items: number[];
  /** items.length x FEATURE_COUNT, row-major. */
  features: Float64Array;
}

/** Candidate generation and the blended (unlearned) score. */
export class SessionKnn {
  private readonly similarity = new ScoreBoard();
  private readonly knn = new ScoreBoard();
  private readonly blended = new ScoreBoard();
  private readonly neighbourHits = new ScoreBoard();
  private marks = new Float64Array(1024);

  constructor(readonly params: SessionKnnParams = DEFAULT_KNN_PARAMS) {}

  /** The best `limit` candidates by blended score that `allowed` lets through and the cart does not hold, with their features. */
  candidates(request: RecommendationRequest, features: FeatureReader, limit: number, allowed: (itemId: string) => boolean): CandidateSet {
    const p = this.params;
    const session = features.session(request);
    const index = features.sessionIndex();
    const recent = session?.recentItems.slice(0, p.maxSessionItems) ?? [];
    const own = session?.indexRecord;
    const totalSessions = Math.max(2, index.opened);
    const idf = (item: number) => Math.max(1e-3, Math.log(totalSessions / (1 + index.sessionCount(item))));

    // 1. Position weight of each distinct session item (most recent occurrence wins), and counts.
    const weights = new Map<number, number>();
    const occurrences = new Map<number, number>();
    recent.forEach((item, i) => {
      if (!weights.has(item)) weights.set(item, 1 / Math.pow(i + 1, p.positionDecay));
      occurrences.set(item, (occurrences.get(item) ?? 0) + 1);
    });
    this.ensureMarks(weights);
    for (const [item, w] of weights) this.marks[item] = w;

    // 2. Neighbour sessions by weighted overlap.
    const oldestLive = index.oldestLive;
    for (const [item, w] of weights) {
      const add = p.idfWeight === 0 ? w : w * power(idf(item), p.idfWeight);
      const sessions = index.sessionsWith(item);
      const stop = Math.max(0, sessions.length - p.sampleSize);
      for (let i = sessions.length - 1; i >= stop; i--) {
        const id = sessions[i]!;
        if (id < oldestLive) break;
        if (id !== own) this.similarity.add(id, add);
      }
    }
    const neighbours = this.similarity.takeTop(p.neighbours, () => true);

    // 3. Score the neighbours' items by similarity and distance from the last shared click.
    let maxKnn = 0;
    for (const [id, sim] of neighbours) {
      const length = index.length(id);
      let lastShared = -1;
      for (let j = length - 1; j >= 0; j--) {
        if (this.mark(index.itemAt(id, j)) > 0) {
          lastShared = j;
          break;
        }
      }
      for (let j = 0; j < length; j++) {
        const item = index.itemAt(id, j);
        const distance = lastShared < 0 ? 0 : Math.abs(j - lastShared);
        let add = sim / Math.pow(1 + distance, p.distanceDecay);
        if (p.idfScore !== 0) add *= power(idf(item), p.idfScore);
        const total = this.knn.add(item, add) + add;
        if (total > maxKnn) maxKnn = total;
        this.neighbourHits.add(item, 1);
      }
    }

    // 4. Blend in what follows the last item, and re-visits.
    const knnScale = maxKnn > 0 ? 1 / maxKnn : 0;
    this.knn.forEach((item, score) => this.blended.add(item, score * knnScale));
    const nextOfLast = scaled(recent.length > 0 ? features.neighbours(recent[0]!) : undefined);
    const nextOfSecondLast = scaled(recent.length > 1 ? features.neighbours(recent[1]!) : undefined);
    if (p.sequentialWeight > 0) nextOfLast.weights?.forEach((w, item) => this.blended.add(item, p.sequentialWeight * w * nextOfLast.scale));
    if (p.revisitWeight > 0) for (const [item, w] of weights) this.blended.add(item, p.revisitWeight * w);
    for (const item of weights.keys()) this.marks[item] = 0;

    const inCart = new Set(session?.cart ?? []);
    const top = this.blended.takeTop(limit, (item) => !inCart.has(item) && allowed(features.itemId(item)));
    const rows = new Float64Array(top.length * FEATURE_COUNT);
    const logTotal = Math.log1p(totalSessions);
    const opened = index.opened;
    const sessionCovisits = [...weights].map(([item, weight]) => ({ weight, of: scaled(features.neighbours(item)).of }));
    // "Recently": the newest 1% of all sessions seen, so the window scales with the shop.
    const recentWindow = Math.max(100, Math.floor(opened / 100));
    top.forEach(([item, blended], r) => {
      const f = r * FEATURE_COUNT;
      rows[f + FEATURE.blended] = blended;
      rows[f + FEATURE.knn] = this.knn.get(item) * knnScale;
      rows[f + FEATURE.revisit] = weights.get(item) ?? 0;
      rows[f + FEATURE.isLast] = recent[0] === item ? 1 : 0;
      rows[f + FEATURE.occurrences] = occurrences.get(item) ?? 0;
      rows[f + FEATURE.nextOfLast] = nextOfLast.of(item);
      rows[f + FEATURE.nextOfSecondLast] = nextOfSecondLast.of(item);
      rows[f + FEATURE.popularity] = Math.log1p(index.sessionCount(item)) / logTotal;
      rows[f + FEATURE.neighbourShare] = this.neighbourHits.get(item) / Math.max(1, neighbours.length);
      rows[f + FEATURE.sessionLength] = recent.length;
      let covisited = 0;
      for (const { of, weight } of sessionCovisits) covisited += weight * of(item);
      rows[f + FEATURE.covisitedWithSession] = covisited;
      const postings = index.sessionsWith(item);
      rows[f + FEATURE.lastSeen] = postings.length === 0 ? 1 : Math.log1p(opened - postings[postings.length - 1]!) / logTotal;
      rows[f + FEATURE.recentShare] = sessionsSince(postings, opened - recentWindow) / recentWindow;
    });
    this.knn.clear();
    this.neighbourHits.clear();
    return { session, items: top.map(([item]) => item), features: rows };
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

/** How many ids of an ascending list are at least `from` (binary search). */
function sessionsSince(ids: readonly number[], from: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return ids.length - lo;
}

/** x^e, without a Math.pow call for the common exponents 0 and 1. */
function power(x: number, e: number): number {
  return e === 0 ? 1 : e === 1 ? x : Math.pow(x, e);
}

/** Co-visitation weights scaled so the strongest is 1, read without copying the map. */
function scaled(weights: Neighbours | undefined): { weights: Neighbours | undefined; scale: number; of: (item: number) => number } {
  let max = weights?.strongest ?? 0;
  if (weights && weights.strongest === undefined) {
    weights.forEach((w) => {
      if (w > max) max = w;
    });
  }
  const scale = max > 0 ? 1 / max : 0;
  return { weights, scale, of: (item) => (weights?.get(item) ?? 0) * scale };
}

/** Ranks candidates by a score per row; fills short lists with popular items. */
export function toRecommendations(
  set: CandidateSet,
  scores: ArrayLike<number>,
  k: number,
  features: FeatureReader,
  allowed: (itemId: string) => boolean,
): Recommendation[] {
  const order = set.items.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const last = set.session?.recentItems[0];
  const together = last === undefined ? 'viewed in sessions like this one' : `viewed together with ${features.itemId(last)}`;
  const out: Recommendation[] = [];
  for (const i of order.slice(0, k)) {
    const item = set.items[i]!;
    const revisit = set.features[i * FEATURE_COUNT + FEATURE.revisit]! > 0;
    out.push({ itemId: features.itemId(item), score: scores[i]!, reason: revisit ? 'viewed earlier in this session' : together });
  }
  if (out.length < k) {
    const taken = new Set(set.items);
    const inCart = new Set(set.session?.cart ?? []);
    for (const item of features.popular(k * 2)) {
      if (out.length >= k) break;
      if (taken.has(item) || inCart.has(item)) continue;
      const id = features.itemId(item);
      if (allowed(id)) out.push({ itemId: id, score: 0, reason: 'popular' });
    }
  }
  return out;
}

/** The tuned blend without a learned ranker. */
export class SessionKnnRecommender implements Recommender {
  readonly name = 'session-knn';
  private readonly knn: SessionKnn;

  constructor(params: SessionKnnParams = DEFAULT_KNN_PARAMS) {
    this.knn = new SessionKnn(params);
  }

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const set = this.knn.candidates(request, features, request.k, allowed);
    const blended = Array.from({ length: set.items.length }, (_, i) => set.features[i * FEATURE_COUNT + FEATURE.blended]!);
    return toRecommendations(set, blended, request.k, features, allowed);
  }
}
