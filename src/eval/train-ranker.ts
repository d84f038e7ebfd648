/**
 * `sessionwise train`: fits the learned ranker with point-in-time-correct features. The index
 * holds the sessions before the training window; each session of the window first yields its
 * examples (every prefix, its candidates and their features, labelled by the next click) and is
 * only then added to the index, so no example sees anything that happened after it.
 *
 * Validation: a model fitted on the window before the last `fraction` of sessions is scored on
 * that last part (prefixes of those sessions), next to the candidate blend alone; the model that
 * is saved is then fitted on the last part itself.
 */
import type { MemoryFeatureStore } from '../features/memory/memory-store.ts';
import { train as fitGbdt, type GbdtOptions } from '../recommend/ranker/gbdt.ts';
import { RANKER_FORMAT, RankedRecommender, type RankerFile } from '../recommend/ranker/ranked-recommender.ts';
import { CANDIDATE_FEATURES, FEATURE_COUNT, SessionKnn, SessionKnnRecommender, type SessionKnnParams } from '../recommend/session-knn.ts';
import { evaluate, sampleEvery, train as buildStore, validationSplit, withSession } from './evaluate.ts';
import { contextAfter, jitter, loadEvents, sequentialSessionEvents, type SessionContext } from './load-sessions.ts';

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

/** `contexts`, where the sessions were logged with times and devices (readLoggedSessions): one per session. */
export async function trainRanker(sessions: readonly string[][], options: TrainRankerOptions, contexts?: readonly SessionContext[]): Promise<TrainRankerResult> {
  if (contexts && contexts.length !== sessions.length) throw new Error(`${contexts.length} session contexts for ${sessions.length} sessions`);
  const started = performance.now();
  const n = sessions.length;
  const cut = Math.floor(n * (1 - options.fraction));
  const validationCut = Math.floor(n * (1 - 2 * options.fraction));

  // Validation: fit on [validationCut, cut), score on the prefixes of [cut, n).
  const head = await buildStore(sessions.slice(0, validationCut));
  const early = await examples(head.store, sessions.slice(validationCut, cut), contexts?.slice(validationCut, cut), options, 'validation examples');
  const validationModel = fitGbdt(early.rows, early.labels, [...CANDIDATE_FEATURES], { ...options.gbdt, onTree: (t) => options.onProgress?.('validation model', t, options.gbdt.trees) });
  // A deterministic sample of the validation pairs keeps `train` within its time budget.
  const pairs = sampleEvery(validationSplit(sessions, options.fraction, contexts).pairs, VALIDATION_PAIRS);
  const ranked = evaluate(new RankedRecommender(rankerFile(options, validationModel, {})), head.store, pairs, options.k);
  const blendOnly = evaluate(new SessionKnnRecommender(options.knn), head.store, pairs, options.k);

  // The saved model: the index of the sessions before the last part has just been built by
  // examples() (it added [validationCut, cut) session by session); fit on the last part.
  const late = await examples(head.store, sessions.slice(cut), contexts?.slice(cut), options, 'training examples');
  const model = fitGbdt(late.rows, late.labels, [...CANDIDATE_FEATURES], { ...options.gbdt, onTree: (t) => options.onProgress?.('model', t, options.gbdt.trees) });
  const validation = { pairs: pairs.length, ranked: { hr: ranked.hr, mrr: ranked.mrr }, blendOnly: { hr: blendOnly.hr, mrr: blendOnly.mrr } };
  const file = rankerFile(options, model, { sessions: n, examples: late.labels.length, positives: late.positives, validation, gbdt: options.gbdt });
  return { file, validation, seconds: (performance.now() - started) / 1000 };
}

function rankerFile(options: TrainRankerOptions, model: RankerFile['model'], training: Record<string, unknown>): RankerFile {
  return { format: RANKER_FORMAT, candidates: options.candidates, knn: options.knn, model, training };
}

/**
 * Labelled candidate rows for every prefix of `window`'s sessions, each session added to the
 * store after its rows are taken. Per prefix: the target's row (when the candidates hold it) and
 * about negativesPerPrefix other candidates drawn uniformly.
 */
async function examples(
  store: MemoryFeatureStore,
  window: readonly string[][],
  contexts: readonly SessionContext[] | undefined,
  options: TrainRankerOptions,
  stage: string,
): Promise<{ rows: Float64Array; labels: Uint8Array; positives: number }> {
  const knn = new SessionKnn(options.knn);
  const rows: number[] = [];
  const labels: number[] = [];
  let positives = 0;
  const startTime = store.state.watermarks.max() + store.state.config.allowedLatenessMs + 10 * 60_000;
  const events = sequentialSessionEvents(window, { idPrefix: `window-${startTime}`, startTime });
  for (let s = 0; s < window.length; s++) {
    const session = window[s]!;
    for (let i = 1; i < session.length; i++) {
      const target = store.itemIndex(session[i]!);
      if (target === undefined) continue;
      const context = contexts && contextAfter(contexts[s]!, i);
      const set = knn.candidates({ sessionId: 'example', k: options.candidates }, withSession(store, session.slice(0, i), context), options.candidates, () => true);
      const hit = set.items.indexOf(target);
      if (hit < 0) continue;
      positives++;
      // Negatives are drawn uniformly from the whole candidate list: taking the best-blended
      // ones would teach the model that a low blend score marks the positive.
      const keep = options.negativesPerPrefix / Math.max(1, set.items.length - 1);
      set.items.forEach((_, r) => {
        const positive = r === hit;
        if (!positive && jitter(s, i, r) >= keep) return;
        for (let f = 0; f < FEATURE_COUNT; f++) rows.push(set.features[r * FEATURE_COUNT + f]!);
        labels.push(positive ? 1 : 0);
      });
    }
    const own = [];
    for (let j = 0; j < session.length; j++) own.push(events.next().value!);
    await loadEvents(store, own);
    if (s % 1000 === 999) options.onProgress?.(stage, s + 1, window.length);
  }
  return { rows: Float64Array.from(rows), labels: Uint8Array.from(labels), positives };
}
