/**
 * `sessionwise train`: fits the learned ranker with point-in-time-correct features. The index
 * holds the sessions before the training window; each session of the window first yields its
 * examples (every prefix, its candidates and their features, labelled by the next click) and is
 * only then added to the index, so no example sees anything that happened after it.
 *
 * Validation: a model fitted on the window before the last `fraction` of sessions is scored on
 * that last part (prefixes of those sessions), next to the candidate blend alone; the model that
 * is saved is then fitted on the last part itself.
 *
 * From logged events (trainRankerFromEvents) the same windows are cut in event time, and the
 * events are replayed in that order: every click first yields its example from the state as it
 * stood (the session as the stream keeps it, its time and device, other shoppers' clicks until
 * then), and is only then applied.
 */
import type { LoggedEvent } from '../events/logged.ts';
import type { MemoryFeatureStore } from '../features/memory/memory-store.ts';
import { train as fitGbdt, type GbdtModel, type GbdtOptions } from '../recommend/ranker/gbdt.ts';
import { RANKER_FORMAT, RankedRecommender, type RankerFile } from '../recommend/ranker/ranked-recommender.ts';
import type { Recommender } from '../recommend/recommender.ts';
import { CANDIDATE_FEATURES, FEATURE_COUNT, SessionKnn, SessionKnnRecommender, type CandidateSet, type SessionKnnParams } from '../recommend/session-knn.ts';
import { evaluate, offlineStore, sampleEvery, Score, train as buildStore, validationObjective, validationSplit, withSession } from './evaluate.ts';
import { jitter, loadEvents, sequentialSessionEvents } from './load-sessions.ts';
import type { LoggedSessions } from './logged-sessions.ts';

export interface TrainRankerOptions {
  knn: SessionKnnParams;
  candidates: number;
  /** Share of the last training sessions that trains the ranker (and, before it, validates). */
  fraction: number;
  negativesPerPrefix: number;
  gbdt: GbdtOptions;
  k: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

const VALIDATION_PAIRS = 20_000;

export const DEFAULT_TRAIN_OPTIONS = { candidates: 50, fraction: 0.1, negativesPerPrefix: 20, k: 20 };

export interface TrainRankerResult {
  file: RankerFile;
  validation: { pairs: number; ranked: { hr: number; mrr: number }; blendOnly: { hr: number; mrr: number } };
  seconds: number;
}

export async function trainRanker(sessions: readonly string[][], options: TrainRankerOptions): Promise<TrainRankerResult> {
  const started = performance.now();
  const n = sessions.length;
  const cut = Math.floor(n * (1 - options.fraction));
  const validationCut = Math.floor(n * (1 - 2 * options.fraction));

  // Validation: fit on [validationCut, cut), score on the prefixes of [cut, n).
  const head = await buildStore(sessions.slice(0, validationCut));
  const early = await examples(head.store, sessions.slice(validationCut, cut), options, 'validation examples');
  const validationModel = early.fit(options, 'validation model');
  // A deterministic sample of the validation pairs keeps `train` within its time budget.
  const pairs = sampleEvery(validationSplit(sessions, options.fraction).pairs, VALIDATION_PAIRS);
  const ranked = evaluate(new RankedRecommender(rankerFile(options, validationModel, {})), head.store, pairs, options.k);
  const blendOnly = evaluate(new SessionKnnRecommender(options.knn), head.store, pairs, options.k);

  // The saved model: the index of the sessions before the last part has just been built by
  // examples() (it added [validationCut, cut) session by session); fit on the last part.
  const late = await examples(head.store, sessions.slice(cut), options, 'training examples');
  const model = late.fit(options, 'model');
  const validation = { pairs: pairs.length, ranked: { hr: ranked.hr, mrr: ranked.mrr }, blendOnly: { hr: blendOnly.hr, mrr: blendOnly.mrr } };
  const file = rankerFile(options, model, { sessions: n, examples: late.labels.length, positives: late.positives, validation, gbdt: options.gbdt });
  return { file, validation, seconds: (performance.now() - started) / 1000 };
}

/** One combination of the engine's candidate sizes and its validation figures. */
export interface RankerTrial {
  candidates: number;
  sampleSize: number;
  hr: number;
  mrr: number;
}

/**
 * The candidate sizes chosen on the validation split: a ranker trained (by `train`, from sessions
 * or from events) for every combination of candidate count and sample size, and the one with the
 * best validationObjective (`tune`'s; the first of equals) kept, the others' figures recorded in
 * its file. Fewer candidates and a smaller sample serve faster, and often rank as well.
 */
export async function trainBestRanker(
  train: (options: TrainRankerOptions) => Promise<TrainRankerResult>,
  options: TrainRankerOptions,
  sizes: { candidates: readonly number[]; sampleSizes: readonly number[] },
  onTrial?: (trial: RankerTrial) => void,
): Promise<TrainRankerResult & { trials: RankerTrial[] }> {
  const trials: RankerTrial[] = [];
  let best: TrainRankerResult | undefined;
  for (const candidates of sizes.candidates) {
    for (const sampleSize of sizes.sampleSizes) {
      const result = await train({ ...options, candidates, knn: { ...options.knn, sampleSize } });
      const trial = { candidates, sampleSize, ...result.validation.ranked };
      trials.push(trial);
      onTrial?.(trial);
      if (!best || validationObjective(trial) > validationObjective(best.validation.ranked)) best = result;
    }
  }
  if (!best) throw new Error('no candidate count or sample size to train with');
  if (trials.length > 1) best.file.training = { ...best.file.training, search: trials };
  return { ...best, trials };
}

function rankerFile(options: TrainRankerOptions, model: RankerFile['model'], training: Record<string, unknown>): RankerFile {
  return { format: RANKER_FORMAT, candidates: options.candidates, knn: options.knn, model, training };
}

/** Labelled candidate rows, the ranker's training set. */
class Examples {
  readonly rows: number[] = [];
  readonly labels: number[] = [];
  positives = 0;

  /**
   * A prefix's rows: the target's (when the candidates hold it) and about negativesPerPrefix
   * other candidates drawn uniformly; `a` and `b` seed the draw.
   */
  add(set: CandidateSet, target: number, negativesPerPrefix: number, a: number, b: number): void {
    const hit = set.items.indexOf(target);
    if (hit < 0) return;
    this.positives++;
    // Negatives are drawn uniformly from the whole candidate list: taking the best-blended
    // ones would teach the model that a low blend score marks the positive.
    const keep = negativesPerPrefix / Math.max(1, set.items.length - 1);
    for (let r = 0; r < set.items.length; r++) {
      const positive = r === hit;
      if (!positive && jitter(a, b, r) >= keep) continue;
      for (let f = 0; f < FEATURE_COUNT; f++) this.rows.push(set.features[r * FEATURE_COUNT + f]!);
      this.labels.push(positive ? 1 : 0);
    }
  }

  fit(options: TrainRankerOptions, stage: string): GbdtModel {
    if (this.positives === 0) throw new Error(`${stage}: no click was among its candidates; too few sessions to learn from`);
    return fitGbdt(Float64Array.from(this.rows), Uint8Array.from(this.labels), [...CANDIDATE_FEATURES], { ...options.gbdt, onTree: (t) => options.onProgress?.(stage, t, options.gbdt.trees) });
  }
}

/**
 * Labelled candidate rows for every prefix of `window`'s sessions, each session added to the
 * store after its rows are taken.
 */
async function examples(store: MemoryFeatureStore, window: readonly string[][], options: TrainRankerOptions, stage: string): Promise<Examples> {
  const knn = new SessionKnn(options.knn);
  const out = new Examples();
  const startTime = store.state.watermarks.max() + store.state.config.allowedLatenessMs + 10 * 60_000;
  const events = sequentialSessionEvents(window, { idPrefix: `window-${startTime}`, startTime });
  for (let s = 0; s < window.length; s++) {
    const session = window[s]!;
    for (let i = 1; i < session.length; i++) {
      const target = store.itemIndex(session[i]!);
      if (target === undefined) continue;
      const set = knn.candidates({ sessionId: 'example', k: options.candidates }, withSession(store, session.slice(0, i)), options.candidates, () => true);
      out.add(set, target, options.negativesPerPrefix, s, i);
    }
    const own = [];
    for (let j = 0; j < session.length; j++) own.push(events.next().value!);
    await loadEvents(store, own);
    if (s % 1000 === 999) options.onProgress?.(stage, s + 1, window.length);
  }
  return out;
}

/**
 * The ranker from logged events (readLoggedSessions), replayed through the stream's apply path in
 * event time. The windows are those of trainRanker, cut at the first clicks of the sessions that
 * start them: the validation model learns from the clicks before the last window, which it is
 * scored on (a deterministic sample of its clicks, next to the blend alone), and the saved model
 * from the last window. Every example and every scored prediction reads the state as it stood
 * before its click: the session as the stream keeps it (with its time and device), and only what
 * others did until then.
 */
export async function trainRankerFromEvents(logged: LoggedSessions, options: TrainRankerOptions): Promise<TrainRankerResult> {
  const started = performance.now();
  const { events, sessions, sessionOf, positionOf } = logged;
  const n = sessions.length;
  const firstClickOf = (session: number) => events[sessionOf.indexOf(session)]?.time ?? Infinity;
  const validationStart = firstClickOf(Math.floor(n * (1 - 2 * options.fraction)));
  const lastStart = firstClickOf(Math.floor(n * (1 - options.fraction)));
  let lastClicks = 0;
  for (let e = 0; e < events.length; e++) if (positionOf[e]! > 0 && sessionOf[e]! >= 0 && events[e]!.time >= lastStart) lastClicks++;
  const scoredEvery = Math.max(1, lastClicks / VALIDATION_PAIRS);

  const store = offlineStore();
  const knn = new SessionKnn(options.knn);
  const early = new Examples();
  const late = new Examples();
  let validationModel: Recommender | undefined;
  const blendOnly = new SessionKnnRecommender(options.knn);
  const ranked = new Score();
  const blended = new Score();
  let pending: LoggedEvent[] = [];
  let click = 0;
  for (let e = 0; e < events.length; e++) {
    const logged = events[e]!;
    const session = sessionOf[e]!;
    if (logged.time >= validationStart && session >= 0 && positionOf[e]! > 0) {
      await loadEvents(store, pending);
      pending = [];
      const { sessionId, userId } = logged.event;
      const itemId = sessions[session]![positionOf[e]!]!;
      const target = store.itemIndex(itemId);
      const lastWindow = logged.time >= lastStart;
      if (lastWindow && !validationModel) validationModel = new RankedRecommender(rankerFile(options, early.fit(options, 'validation model'), {}));
      if (target !== undefined) {
        const set = knn.candidates({ sessionId, userId, k: options.candidates }, store, options.candidates, () => true);
        (lastWindow ? late : early).add(set, target, options.negativesPerPrefix, session, positionOf[e]!);
      }
      // A deterministic sample of the last window's clicks, evenly spread, keeps the validation within its time budget.
      const scored = lastWindow && Math.floor((click + 1) / scoredEvery) > Math.floor(click / scoredEvery);
      if (lastWindow) click++;
      if (scored) {
        const request = { sessionId, userId, k: options.k };
        ranked.add(validationModel!.recommend(request, store, () => true), itemId);
        blended.add(blendOnly.recommend(request, store, () => true), itemId);
      }
    }
    pending.push(logged);
    if (e % 10_000 === 9_999) options.onProgress?.('replaying events', e + 1, events.length);
    // As the server's upkeep does: ended sessions leave the session table, so a long log fits in memory.
    if (e % 100_000 === 99_999) store.state.expireSessions();
  }
  const model = late.fit(options, 'model');
  const validation = { pairs: ranked.pairs, ranked: ranked.figures, blendOnly: blended.figures };
  const file = rankerFile(options, model, { sessions: n, events: events.length, examples: late.labels.length, positives: late.positives, validation, gbdt: options.gbdt });
  return { file, validation, seconds: (performance.now() - started) / 1000 };
}
