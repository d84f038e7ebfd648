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
 *    last item + revisit weight x the item's own position weight in the session + history weight x
 *    the item's co-visitation with the shopper's own past purchases (a known user's history) +
 *    trending weight / rank of the item among what trends in the session's main category (where
 *    the catalog or the events name categories; overall otherwise), then is popular there.
 * The weights are hyperparameters chosen by `sessionwise tune` on a validation split, except the
 * history weight: session files carry no user ids, so it keeps its default unless a parameter file
 * sets it. The candidates carry their signals as features, which the learned ranker (ranker/)
 * re-scores. Steps 2 to 4's loops and tables are in WebAssembly (kernel/); this class feeds them
 * from the feature store and writes the candidates' signals.
 */
import type { FeatureReader, Neighbours, SessionIndexReader } from '../features/feature-store.ts';
import { MAX_SEQUENCE } from '../features/memory/session-index.ts';
import type { SessionView } from '../features/memory/session-table.ts';
import { RECENT_PURCHASES } from '../features/memory/user-profiles.ts';
import type { Recommendation, RecommendationRequest, Recommender } from './recommender.ts';
import { KnnKernel } from './kernel/knn-kernel.ts';

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
  /** Weight of what was viewed together with the user's past purchases (not tuned: see above). */
  historyWeight: number;
  /** Weight of the trending (then popular) items of the session's main category, by rank. */
  trendingWeight: number;
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
  historyWeight: 0.25,
  trendingWeight: 0,
};

/** Trending items a request adds to its candidates (and looks at to fill a short list). */
const TRENDING_CANDIDATES = 20;

/** The reason of a candidate only the user's history brought (the historical baseline's too). */
export const HISTORY_REASON = 'goes with your past purchases';
/** The reason of a trending candidate without a session or history signal, overall or in a category. */
export const TRENDING_REASON = 'trending now';
export const trendingInReason = (category: string) => `trending in ${category}`;

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
  'covisitedWithHistory',
  // The context, the same for every candidate of a request: the trees weigh the others by it.
  'hourOfDay',
  'device',
] as const;
export const FEATURE_COUNT = CANDIDATE_FEATURES.length;
// Column of each feature in a candidate row (plain numbers: a row writes every one).
const F_BLENDED = CANDIDATE_FEATURES.indexOf('blended');
const F_KNN = CANDIDATE_FEATURES.indexOf('knn');
const F_REVISIT = CANDIDATE_FEATURES.indexOf('revisit');
const F_IS_LAST = CANDIDATE_FEATURES.indexOf('isLast');
const F_OCCURRENCES = CANDIDATE_FEATURES.indexOf('occurrences');
const F_NEXT_OF_LAST = CANDIDATE_FEATURES.indexOf('nextOfLast');
const F_NEXT_OF_SECOND_LAST = CANDIDATE_FEATURES.indexOf('nextOfSecondLast');
const F_POPULARITY = CANDIDATE_FEATURES.indexOf('popularity');
const F_NEIGHBOUR_SHARE = CANDIDATE_FEATURES.indexOf('neighbourShare');
const F_SESSION_LENGTH = CANDIDATE_FEATURES.indexOf('sessionLength');
const F_LAST_SEEN = CANDIDATE_FEATURES.indexOf('lastSeen');
const F_RECENT_SHARE = CANDIDATE_FEATURES.indexOf('recentShare');
const F_COVISITED_WITH_SESSION = CANDIDATE_FEATURES.indexOf('covisitedWithSession');
const F_COVISITED_WITH_HISTORY = CANDIDATE_FEATURES.indexOf('covisitedWithHistory');
const F_HOUR_OF_DAY = CANDIDATE_FEATURES.indexOf('hourOfDay');
const F_DEVICE = CANDIDATE_FEATURES.indexOf('device');

const HOUR_MS = 3_600_000;

/** The hour of the day (UTC, with its fraction) of an event time. */
export function hourOfDay(time: number): number {
  const ms = time % (24 * HOUR_MS);
  return (ms < 0 ? ms + 24 * HOUR_MS : ms) / HOUR_MS;
}

/**
 * Items and features are views of buffers the generator reuses, valid until its next call (a
 * new typed array per request would make every minor GC sweep thousands of array buffers).
 */
export interface CandidateSet {
  session: SessionView | undefined;
  /** What trends where the session shops, when the blend weighs it. */
  trending: Trending | undefined;
  items: Int32Array;
  /** items.length x FEATURE_COUNT, row-major. */
  features: Float64Array;
}

/** What writeSignals reads of the request besides the candidates. */
interface SignalContext {
  features: FeatureReader;
  /** The session's items, most recent first (up to maxSessionItems). */
  recent: readonly number[];
  /** Its distinct items and their position weights. */
  sessionItems: readonly number[];
  sessionWeights: readonly number[];
  neighbourCount: number;
  /** How many neighbours added to each candidate's kNN score. */
  adds: Int32Array;
  /** The request's context: the time of the session's latest event (now without a session), its device. */
  time: number;
  device: number;
}

/** The co-visitation tables of a user's recent purchases, each with its weight and scale. */
interface History {
  tables: Neighbours[];
  /** Recency weight x the factor that makes the table's strongest weight 1. */
  factors: number[];
}

const NO_HISTORY: History = { tables: [], factors: [] };

/** Trending then popular items, best first, of the session's main category or (undefined) overall. */
interface Trending {
  items: readonly number[];
  category: number | undefined;
}

/** Candidate generation and the blended (unlearned) score. */
export class SessionKnn {
  /** Steps 2 to 4's loops, in WebAssembly; the session's items are its membership bits during a request. */
  private readonly kernel: KnnKernel;
  /** Candidate rows, reused (see CandidateSet.features). */
  private rows = new Float64Array(0);

  constructor(readonly params: SessionKnnParams = DEFAULT_KNN_PARAMS) {
    // 1 / (1 + d)^distanceDecay for every distance within a session.
    this.kernel = new KnnKernel(Float64Array.from({ length: MAX_SEQUENCE }, (_, d) => 1 / Math.pow(1 + d, params.distanceDecay)));
  }

  /**
   * The best `limit` candidates by blended score that `allowed` lets through and the cart does not
   * hold, with their features; with `signals` false only `blended`, `revisit`,
   * `covisitedWithHistory` and, where that is above 0, `knn` are written (the blend ranks by the
   * first and gives its reason by the others), the other columns left as they were.
   */
  candidates(request: RecommendationRequest, features: FeatureReader, limit: number, allowed: (itemId: string) => boolean, signals = true): CandidateSet {
    const p = this.params;
    const kernel = this.kernel;
    const session = features.session(request);
    const index = features.sessionIndex();
    const recent = session?.recentItems.slice(0, p.maxSessionItems) ?? [];
    const own = session?.indexRecord ?? -1;
    const totalSessions = Math.max(2, index.opened);
    const logTotal = Math.log(totalSessions);

    // 1. Position weight of each distinct session item (most recent occurrence wins).
    const sessionItems: number[] = [];
    const sessionWeights: number[] = [];
    for (let i = 0; i < recent.length; i++) {
      const item = recent[i]!;
      if (sessionItems.includes(item)) continue;
      sessionItems.push(item);
      sessionWeights.push(1 / Math.pow(i + 1, p.positionDecay));
    }
    // What step 4 blends in besides the kNN scores does not depend on them: known first, so that
    // the kernel can make room for it.
    const nextOfLast = p.sequentialWeight > 0 && recent.length > 0 ? features.neighbours(recent[0]!) : undefined;
    const history = request.userId === undefined ? NO_HISTORY : historyOf(features, request.userId);
    const trending = p.trendingWeight > 0 ? trendingOf(features, session) : undefined;
    let extras = (nextOfLast?.size ?? 0) + (p.revisitWeight > 0 ? sessionItems.length : 0) + (trending?.items.length ?? 0);
    if (p.historyWeight > 0) for (const table of history.tables) extras += table.size;
    let listIds = 0;
    let maxItem = 0;
    for (const item of sessionItems) {
      listIds += Math.min(p.sampleSize, index.sessionsWith(item).length);
      if (item > maxItem) maxItem = item;
    }
    kernel.ensureFront({ maxItem, listIds, lists: sessionItems.length, neighbours: p.neighbours, sequenceStride: MAX_SEQUENCE, extras, asked: limit });
    // The kernel's views are read into locals once (the object holding them is a dictionary), and
    // again after ensureItems, which may renew them.
    const { lists, listLengths, listWeights, neighbourIds, sequences, sequenceLengths } = kernel.views;
    kernel.begin(sessionItems);

    // 2. Neighbour sessions by weighted overlap: each session item's `sampleSize` most recent sessions.
    let at = 0;
    for (let s = 0; s < sessionItems.length; s++) {
      const item = sessionItems[s]!;
      const sessions = index.sessionsWith(item);
      const stop = Math.max(0, sessions.length - p.sampleSize);
      listLengths[s] = sessions.length - stop;
      listWeights[s] = sessionWeights[s]! * power(idf(index, logTotal, item), p.idfWeight);
      for (let i = stop; i < sessions.length; i++) lists[at++] = sessions[i]!;
    }
    const neighbourCount = kernel.similarity(sessionItems.length, own, index.oldestLive, p.neighbours);

    // 3. Score the neighbours' items by similarity and distance from the last shared click; the
    //    IDF factor is the item's own, so it multiplies each item's sum once at the end.
    index.copySessions(neighbourIds, neighbourCount, sequences, sequenceLengths);
    let sequenceItems = 0;
    for (let n = 0; n < neighbourCount; n++) sequenceItems += sequenceLengths[n]!;
    kernel.ensureItems(sequenceItems + extras);
    const scored = kernel.scoreNeighbours(neighbourCount);
    const views = kernel.views;
    if (p.idfScore !== 0) {
      const { itemKeys, itemSlots, itemFactors } = views;
      for (let t = 0; t < scored; t++) itemFactors[t] = power(idf(index, logTotal, itemKeys[itemSlots[t]!]! - 1), p.idfScore);
    }

    // 4. Blend in what follows the last item, re-visits, the user's history and what trends.
    const { extraItems, extraScores } = views;
    let e = 0;
    const extra = (item: number, score: number) => {
      extraItems[e] = item;
      extraScores[e++] = score;
    };
    if (nextOfLast) {
      const lastScale = scaleOf(nextOfLast);
      nextOfLast.forEach((w, item) => extra(item, p.sequentialWeight * w * lastScale));
    }
    if (p.revisitWeight > 0) for (let s = 0; s < sessionItems.length; s++) extra(sessionItems[s]!, p.revisitWeight * sessionWeights[s]!);
    if (p.historyWeight > 0) {
      for (let h = 0; h < history.tables.length; h++) {
        const factor = p.historyWeight * history.factors[h]!;
        history.tables[h]!.forEach((w, item) => extra(item, factor * w));
      }
    }
    if (trending) for (let i = 0; i < trending.items.length; i++) extra(trending.items[i]!, p.trendingWeight / (i + 1));
    const knnScale = kernel.blend(p.idfScore !== 0, e);

    if (this.rows.length < limit * FEATURE_COUNT) this.rows = new Float64Array(limit * FEATURE_COUNT);
    const taken = this.takeTop(limit, session?.cart ?? [], (item) => allowed(features.itemId(item)));
    const { members, answerKnn, answerAdds } = views;
    const items = views.askedItems.subarray(0, taken);
    kernel.describe(taken);

    // 5. Each candidate's signals, the ranker's inputs.
    const rows = this.rows.subarray(0, taken * FEATURE_COUNT);
    for (let r = 0; r < taken; r++) {
      const item = items[r]!;
      rows[r * FEATURE_COUNT + F_REVISIT] = isMember(members, item) ? sessionWeights[sessionItems.indexOf(item)]! : 0;
      let withHistory = 0;
      for (let h = 0; h < history.tables.length; h++) withHistory += history.factors[h]! * weightOf(history.tables[h], item);
      rows[r * FEATURE_COUNT + F_COVISITED_WITH_HISTORY] = withHistory;
      // The blend alone needs the kNN score only to tell a candidate of the history or trends alone.
      if (signals || withHistory > 0 || trending?.items.includes(item)) rows[r * FEATURE_COUNT + F_KNN] = answerKnn[r]! * knnScale;
    }
    if (signals) {
      const time = session?.lastTime ?? Date.now();
      this.writeSignals(items, rows, { features, recent, sessionItems, sessionWeights, neighbourCount, adds: answerAdds, time, device: session?.device ?? 0 });
    }
    kernel.finish(sessionItems);
    return { session, trending, items, features: rows };
  }

  /**
   * Puts the best `limit` blended items not in the cart that `accept` lets through into the
   * kernel's asked items and their scores into the rows' `blended` column; returns how many.
   * `accept` is asked only about items that would make the list (rejections are rare: an
   * unavailable item, a restricted one), so a costly rule check runs about `limit` times; the
   * ranking is redone twice as long while too many are rejected.
   */
  private takeTop(limit: number, cart: readonly number[], accept: (item: number) => boolean): number {
    const { kernel, rows } = this;
    let taken = 0;
    for (let want = limit; ; want *= 2) {
      const ranked = kernel.rankBlended(want);
      const { rankItems, rankScores, askedItems } = kernel.views;
      taken = 0;
      for (let r = 0; r < ranked && taken < limit; r++) {
        const item = rankItems[r]!;
        if (cart.includes(item) || !accept(item)) continue;
        askedItems[taken] = item;
        rows[taken++ * FEATURE_COUNT + F_BLENDED] = rankScores[r]!;
      }
      if (taken === limit || ranked < want) return taken;
    }
  }

  /**
   * Step 5 past the blend: every other column of the candidates' rows. A method of its own, so
   * that the compiler inlines the lookups into it (candidates() is too large).
   */
  private writeSignals(items: Int32Array, rows: Float64Array, c: SignalContext): void {
    const { features, recent, sessionItems, sessionWeights, neighbourCount, adds, device } = c;
    const hour = hourOfDay(c.time);
    const index = features.sessionIndex();
    const opened = index.opened;
    const logOnePlusTotal = Math.log1p(Math.max(2, opened));
    const tables = sessionItems.map((item) => features.neighbours(item));
    const scales = tables.map(scaleOf);
    // The last two items' tables are the first session items' (sessionItems[0] is recent[0],
    // sessionItems[1] is recent[1] unless that repeats it): one lookup per table serves both.
    const secondLastAt = recent.length < 2 ? -1 : recent[1] === recent[0] ? 0 : 1;
    const lastScale = scales[0] ?? 0;
    const secondLastScale = secondLastAt < 0 ? 0 : scales[secondLastAt]!;
    // "Recently": the newest 1% of all sessions seen, so the window scales with the shop.
    const recentWindow = Math.max(100, Math.floor(opened / 100));
    for (let r = 0; r < items.length; r++) {
      const item = items[r]!;
      const f = r * FEATURE_COUNT;
      let occurrences = 0;
      for (let i = 0; i < recent.length; i++) if (recent[i] === item) occurrences++;
      let covisited = 0;
      let afterLast = 0;
      let afterSecondLast = 0;
      for (let s = 0; s < tables.length; s++) {
        const weight = weightOf(tables[s], item);
        covisited += sessionWeights[s]! * weight * scales[s]!;
        if (s === 0) afterLast = weight;
        if (s === secondLastAt) afterSecondLast = weight;
      }
      const newest = index.newestSession(item);
      rows[f + F_IS_LAST] = recent[0] === item ? 1 : 0;
      rows[f + F_OCCURRENCES] = occurrences;
      rows[f + F_NEXT_OF_LAST] = afterLast * lastScale;
      rows[f + F_NEXT_OF_SECOND_LAST] = afterSecondLast * secondLastScale;
      rows[f + F_POPULARITY] = logOnePlus(index.sessionCount(item)) / logOnePlusTotal;
      rows[f + F_NEIGHBOUR_SHARE] = adds[r]! / Math.max(1, neighbourCount);
      rows[f + F_SESSION_LENGTH] = recent.length;
      rows[f + F_LAST_SEEN] = newest < 0 ? 1 : Math.log1p(opened - newest) / logOnePlusTotal;
      rows[f + F_RECENT_SHARE] = index.sessionsSince(item, opened - recentWindow) / recentWindow;
      rows[f + F_COVISITED_WITH_SESSION] = covisited;
      rows[f + F_HOUR_OF_DAY] = hour;
      rows[f + F_DEVICE] = device;
    }
  }
}

/** Whether a bit set (one bit per item id) holds the item. */
function isMember(members: Int32Array, item: number): boolean {
  const word = item >>> 5;
  return word < members.length && (members[word]! & (1 << (item & 31))) !== 0;
}

/** log(1 + c) for the small counts most items have, from a table: a request takes hundreds of them. */
const LOG_ONE_PLUS = Float64Array.from({ length: 4096 }, (_, c) => Math.log1p(c));
function logOnePlus(count: number): number {
  return count < LOG_ONE_PLUS.length ? LOG_ONE_PLUS[count]! : Math.log1p(count);
}

/** An item's inverse session frequency, log(sessions / (1 + sessions holding it)), at least 0.001. */
function idf(index: SessionIndexReader, logTotal: number, item: number): number {
  return Math.max(1e-3, logTotal - logOnePlus(index.sessionCount(item)));
}

/** x^e, without a Math.pow call for the common exponents 0 and 1. */
function power(x: number, e: number): number {
  return e === 0 ? 1 : e === 1 ? x : Math.pow(x, e);
}

/** The factor that scales co-visitation weights so the strongest is 1 (0 for none). */
function scaleOf(weights: Neighbours | undefined): number {
  let max = weights?.strongest ?? 0;
  if (weights && weights.strongest === undefined) {
    weights.forEach((w) => {
      if (w > max) max = w;
    });
  }
  return max > 0 ? 1 / max : 0;
}

/**
 * The co-visitation tables of the user's last RECENT_PURCHASES purchases, the i-th most recent
 * weighted 1 / i. The purchases themselves may come back through each other's tables; the rules
 * leave them out (`hidePurchased`, on by default).
 */
function historyOf(features: FeatureReader, userId: string): History {
  const purchases = features.userProfile(userId)?.purchases;
  if (!purchases?.length) return NO_HISTORY;
  const history: History = { tables: [], factors: [] };
  for (let i = 0; i < RECENT_PURCHASES && i < purchases.length; i++) {
    const table = features.neighbours(purchases[purchases.length - 1 - i]!);
    const scale = scaleOf(table);
    if (table === undefined || scale === 0) continue;
    history.tables.push(table);
    history.factors.push(scale / (i + 1));
  }
  return history;
}

/** The session's main category is its first interest (interests come heaviest first). */
function trendingOf(features: FeatureReader, session: SessionView | undefined): Trending {
  const category = session?.interests[0]?.category;
  const inCategory = category === undefined ? [] : features.trending(TRENDING_CANDIDATES, category);
  return inCategory.length > 0 ? { items: inCategory, category } : { items: features.trending(TRENDING_CANDIDATES), category: undefined };
}

function weightOf(weights: Neighbours | undefined, item: number): number {
  return weights?.get(item) ?? 0;
}

let orderScratch = new Int32Array(64);

/**
 * Row indices by descending score, ties in row order, in a scratch array reused across requests
 * (valid until the next call): an insertion sort, which for the few dozen candidates of a request
 * beats sorting a fresh array through a comparator.
 */
function rankOrder(scores: ArrayLike<number>, count: number): Int32Array {
  if (orderScratch.length < count) orderScratch = new Int32Array(count);
  const order = orderScratch;
  for (let i = 0; i < count; i++) {
    const score = scores[i]!;
    let at = i;
    while (at > 0 && scores[order[at - 1]!]! < score) {
      order[at] = order[at - 1]!;
      at--;
    }
    order[at] = i;
  }
  return order;
}

/** Ranks candidates by a score per row; fills short lists with what trends where the session shops, then popular items. */
export function toRecommendations(
  set: CandidateSet,
  scores: ArrayLike<number>,
  k: number,
  features: FeatureReader,
  allowed: (itemId: string) => boolean,
): Recommendation[] {
  const count = set.items.length;
  const order = rankOrder(scores, count);
  const last = set.session?.recentItems[0];
  const together = last === undefined ? 'viewed in sessions like this one' : `viewed together with ${features.itemId(last)}`;
  const out: Recommendation[] = [];
  for (let r = 0; r < count && r < k; r++) {
    const i = order[r]!;
    const item = set.items[i]!;
    const row = i * FEATURE_COUNT;
    const alone = set.features[row + F_KNN] === 0;
    const reason =
      set.features[row + F_REVISIT]! > 0
        ? 'viewed earlier in this session'
        : alone && set.features[row + F_COVISITED_WITH_HISTORY]! > 0
          ? HISTORY_REASON
          : alone && set.trending?.items.includes(item)
            ? trendingReason(set.trending, features)
            : together;
    out.push({ itemId: features.itemId(item), score: scores[i]!, reason, item });
  }
  if (out.length < k) {
    // Filled by a loop: a Set built from a typed array goes through its iterator.
    const taken = new Set<number>();
    for (let i = 0; i < count; i++) taken.add(set.items[i]!);
    for (const item of set.session?.cart ?? []) taken.add(item);
    const trending = set.trending ?? trendingOf(features, set.session);
    const fill = (items: readonly number[], reason: string) => {
      for (let i = 0; i < items.length && out.length < k; i++) {
        const item = items[i]!;
        if (taken.has(item)) continue;
        taken.add(item);
        const id = features.itemId(item);
        if (allowed(id)) out.push({ itemId: id, score: 0, reason, item });
      }
    };
    if (trending.category !== undefined) fill(trending.items, trendingReason(trending, features));
    fill(features.popular(k * 2), 'popular');
  }
  return out;
}

function trendingReason(trending: Trending, features: FeatureReader): string {
  return trending.category === undefined ? TRENDING_REASON : trendingInReason(features.categoryName(trending.category));
}

/** The tuned blend without a learned ranker. */
export class SessionKnnRecommender implements Recommender {
  readonly name = 'session-knn';
  private readonly knn: SessionKnn;

  constructor(params: SessionKnnParams = DEFAULT_KNN_PARAMS) {
    this.knn = new SessionKnn(params);
  }

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const set = this.knn.candidates(request, features, request.k, allowed, false);
    const blended = Array.from({ length: set.items.length }, (_, i) => set.features[i * FEATURE_COUNT + F_BLENDED]!);
    return toRecommendations(set, blended, request.k, features, allowed);
  }
}
