/**
 * Offline evaluation with the protocol of the session-based recommendation literature: load the
 * training sessions through the stream's own apply path (in file order), then for each test pair
 * ask the serving recommender for the top k with the prefix as the current session, and score
 * HR@k (target among the k) and MRR@k (1/rank when it is).
 */
import type { FeatureReader } from '../features/feature-store.ts';
import { MemoryFeatureStore } from '../features/memory/memory-store.ts';
import type { SessionView } from '../features/memory/session-table.ts';
import type { Recommender } from '../recommend/recommender.ts';
import { loadEvents, sequentialSessionEvents, type TestPair } from './load-sessions.ts';

/** What `tune` maximises and `train` chooses candidate sizes by: HR@k + MRR@k on the validation split. */
export function validationObjective(figures: { hr: number; mrr: number }): number {
  return figures.hr + figures.mrr;
}

export interface EvalResult {
  hr: number;
  mrr: number;
  pairs: number;
  predictMsP50: number;
  predictMsP90: number;
  trainSeconds: number;
}

/** Per-pair outcome, for reports: rank of the target (0 when missed) and the prefix length. */
export interface PairOutcome {
  rank: number;
  prefixLength: number;
  recommended: string[];
}

const EVAL_STREAM = { partitions: 1, sessionGapMs: 30 * 60_000, allowedLatenessMs: 2 * 60_000 };
/** Offline, the top lists follow the events applied (about 200 sessions), not the wall clock. */
const TOP_LISTS_EVERY_EVENTS = 1000;

/** An empty store configured for offline work: one partition, the stream's session gap, top lists by events applied. */
export function offlineStore(): MemoryFeatureStore {
  return new MemoryFeatureStore({ stream: EVAL_STREAM, topListsEveryEvents: TOP_LISTS_EVERY_EVENTS });
}

/** Builds the feature state from training sessions, exactly as the stream would (MemoryFeatureStore.applySync). */
export async function train(sessions: Iterable<string[]>): Promise<{ store: MemoryFeatureStore; seconds: number }> {
  const started = performance.now();
  const store = offlineStore();
  await loadEvents(store, sequentialSessionEvents(sessions, { idPrefix: 'train' }));
  store.state.expireSessions();
  return { store, seconds: (performance.now() - started) / 1000 };
}

/**
 * A reader whose current session is a given prefix, everything else from the store: the
 * recommender runs unchanged, and the test prefixes never leak into the shared index.
 */
export function withSession(base: FeatureReader, prefix: readonly string[]): FeatureReader {
  const items: number[] = [];
  for (let i = prefix.length - 1; i >= 0; i--) {
    const item = base.itemIndex(prefix[i]!);
    if (item !== undefined) items.push(item);
  }
  const view: SessionView = {
    seq: 1,
    startTime: 0,
    lastTime: 0,
    events: prefix.length,
    dwellMs: 0,
    maxScroll: 0,
    priceMin: undefined,
    priceMax: undefined,
    device: 0,
    recentItems: items,
    cart: [],
    interests: [],
    indexRecord: undefined,
    ignored: new Map(),
  };
  return {
    session: () => view,
    ignored: () => view.ignored,
    userProfile: (u) => base.userProfile(u),
    neighbours: (i) => base.neighbours(i),
    engagement: (i) => base.engagement(i),
    sessionIndex: () => base.sessionIndex(),
    trending: (n, category) => base.trending(n, category),
    popular: (n) => base.popular(n),
    itemId: (i) => base.itemId(i),
    itemIndex: (id) => base.itemIndex(id),
    categoryName: (c) => base.categoryName(c),
  };
}

/** HR@k and MRR@k of a recommender, one prediction at a time. */
export class Score {
  private hits = 0;
  private reciprocal = 0;
  pairs = 0;

  /** Scores one list against the click that followed; returns the target's rank (0: not listed). */
  add(ranked: readonly { itemId: string }[], target: string): number {
    const rank = ranked.findIndex((r) => r.itemId === target) + 1;
    this.pairs++;
    if (rank > 0) {
      this.hits++;
      this.reciprocal += 1 / rank;
    }
    return rank;
  }

  get figures(): { hr: number; mrr: number } {
    return { hr: this.hits / Math.max(1, this.pairs), mrr: this.reciprocal / Math.max(1, this.pairs) };
  }
}

export function evaluate(
  recommender: Recommender,
  store: FeatureReader,
  pairs: readonly TestPair[],
  k: number,
  options: { onProgress?: (done: number) => void; outcomes?: PairOutcome[] } = {},
): Omit<EvalResult, 'trainSeconds'> {
  const score = new Score();
  const times = new Float64Array(pairs.length);
  const allowAll = () => true;
  pairs.forEach((pair, n) => {
    const reader = withSession(store, pair.prefix);
    const started = process.hrtime.bigint();
    const list = recommender.recommend({ sessionId: 'eval', k }, reader, allowAll);
    times[n] = Number(process.hrtime.bigint() - started) / 1e6;
    const rank = score.add(list, pair.target);
    options.outcomes?.push({ rank, prefixLength: pair.prefix.length, recommended: list.map((r) => r.itemId) });
    if (n % 1000 === 999) options.onProgress?.(n + 1);
  });
  options.onProgress?.(pairs.length);
  times.sort();
  const at = (q: number) => (times.length ? times[Math.min(times.length - 1, Math.floor(q * times.length))]! : 0);
  return { ...score.figures, pairs: pairs.length, predictMsP50: at(0.5), predictMsP90: at(0.9) };
}

/**
 * The validation split: the last `fraction` of the training sessions, scored with every prefix of
 * each (prefix = first i clicks, target = click i+1), as the dataset README prescribes.
 */
export function validationSplit(sessions: readonly string[][], fraction = 0.1): { train: string[][]; pairs: TestPair[] } {
  const cut = Math.floor(sessions.length * (1 - fraction));
  const pairs: TestPair[] = [];
  for (const s of sessions.slice(cut)) for (let i = 1; i < s.length; i++) pairs.push({ prefix: s.slice(0, i), target: s[i]! });
  return { train: sessions.slice(0, cut), pairs };
}

/** `n` items spread evenly over the list (all of them when it is shorter): a deterministic sample. */
export function sampleEvery<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}
