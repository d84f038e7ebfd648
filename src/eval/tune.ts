/**
 * Hyperparameter search on a validation split carved from the end of the training sessions
 * (never the test pairs): coordinate descent over a grid per parameter, a few rounds, scoring
 * HR@k + MRR@k. Scoring parameters do not change the index, so it is built once.
 */
import { DEFAULT_KNN_PARAMS, SessionKnnRecommender, type SessionKnnParams } from '../recommend/session-knn.ts';
import { evaluate, sampleEvery, train, validationObjective, validationSplit } from './evaluate.ts';

/** The tuned parameters: all but the history weight, which session files (no user ids) cannot inform. */
type TunedParam = Exclude<keyof SessionKnnParams, 'historyWeight'>;

export const KNN_GRID: { [K in TunedParam]: number[] } = {
  neighbours: [50, 100, 200, 400],
  sampleSize: [250, 500, 1000, 2000],
  positionDecay: [0.5, 1, 1.5, 2, 3],
  distanceDecay: [0, 0.5, 1, 1.5, 2],
  idfWeight: [0, 0.5, 1],
  idfScore: [0, 0.25, 0.5, 1],
  sequentialWeight: [0, 0.1, 0.25, 0.5, 1],
  revisitWeight: [0, 0.1, 0.25, 0.5, 1, 2],
  trendingWeight: [0, 0.01, 0.03, 0.1],
  maxSessionItems: [5, 10, 20],
};

export interface TuneResult {
  params: SessionKnnParams;
  validation: { hr: number; mrr: number; pairs: number };
  trials: number;
}

export interface TuneOptions {
  k: number;
  fraction: number;
  rounds: number;
  /** Validation pairs used during the search (a deterministic sample); all are scored at the end. */
  samplePairs: number;
  onTrial?: (trial: { params: SessionKnnParams; hr: number; mrr: number; best: boolean }) => void;
}

export async function tuneSessionKnn(sessions: readonly string[][], options: TuneOptions): Promise<TuneResult> {
  const split = validationSplit(sessions, options.fraction);
  const { store } = await train(split.train);
  const sample = sampleEvery(split.pairs, options.samplePairs);
  const score = (params: SessionKnnParams) => {
    const r = evaluate(new SessionKnnRecommender(params), store, sample, options.k);
    return { ...r, objective: validationObjective(r) };
  };
  let best = { ...DEFAULT_KNN_PARAMS };
  let bestScore = score(best);
  let trials = 1;
  options.onTrial?.({ params: best, hr: bestScore.hr, mrr: bestScore.mrr, best: true });
  for (let round = 0; round < options.rounds; round++) {
    let improved = false;
    for (const key of Object.keys(KNN_GRID) as TunedParam[]) {
      for (const value of KNN_GRID[key]) {
        if (best[key] === value) continue;
        const candidate = { ...best, [key]: value };
        const s = score(candidate);
        trials++;
        const better = s.objective > bestScore.objective;
        options.onTrial?.({ params: candidate, hr: s.hr, mrr: s.mrr, best: better });
        if (better) {
          best = candidate;
          bestScore = s;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  const full = evaluate(new SessionKnnRecommender(best), store, split.pairs, options.k);
  return { params: best, validation: { hr: full.hr, mrr: full.mrr, pairs: full.pairs }, trials };
}

