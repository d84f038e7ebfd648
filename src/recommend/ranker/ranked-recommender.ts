/**
 * The full engine: session-kNN candidates with their signals, re-scored by the learned ranker.
 * The model file (`sessionwise train`) carries the candidate parameters and the trees together,
 * so a server always ranks with the features the model was trained on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { FeatureReader } from '../../features/feature-store.ts';
import type { Recommendation, RecommendationRequest, Recommender } from '../recommender.ts';
import { CANDIDATE_FEATURES, FEATURE_COUNT, SessionKnn, toRecommendations, type SessionKnnParams } from '../session-knn.ts';
import { compile, GBDT_FORMAT, scoreRows, type CompiledModel, type GbdtModel } from './gbdt.ts';

export const RANKER_FORMAT = 'sessionwise-ranker-1';

export interface RankerFile {
  format: typeof RANKER_FORMAT;
  /** Candidates scored per request. */
  candidates: number;
  knn: SessionKnnParams;
  model: GbdtModel;
  training: Record<string, unknown>;
}

export class RankedRecommender implements Recommender {
  readonly name = 'ranked';
  private readonly knn: SessionKnn;
  private readonly model: CompiledModel;
  /** Scores of one request's candidates, reused like the candidate rows. */
  private scores = new Float64Array(0);

  constructor(readonly file: RankerFile) {
    // Features are only ever appended: a model trained before the last ones existed reads the
    // columns it knows, at the same places.
    const names = file.model.featureNames;
    if (names.length > FEATURE_COUNT || names.some((name, i) => name !== CANDIDATE_FEATURES[i])) {
      throw new Error(`ranker model was trained on features [${names.join(', ')}], this version computes [${CANDIDATE_FEATURES.join(', ')}]; retrain it with sessionwise train`);
    }
    this.knn = new SessionKnn(file.knn);
    this.model = compile(file.model);
  }

  recommend(request: RecommendationRequest, features: FeatureReader, allowed: (itemId: string) => boolean): Recommendation[] {
    const set = this.knn.candidates(request, features, this.file.candidates, allowed);
    if (this.scores.length < set.items.length) this.scores = new Float64Array(set.items.length);
    const scores = this.scores.subarray(0, set.items.length);
    scoreRows(this.model, set.features, FEATURE_COUNT, set.items.length, scores);
    return toRecommendations(set, scores, request.k, features, allowed);
  }
}

export function readRankerFile(path: string): RankerFile {
  const file = JSON.parse(readFileSync(path, 'utf8')) as Partial<RankerFile>;
  if (file.format !== RANKER_FORMAT || file.model?.format !== GBDT_FORMAT) throw new Error(`${path}: not a Sessionwise ranker model (format ${String(file.format)}, expected ${RANKER_FORMAT})`);
  // A model trained before the trending candidates existed serves the candidates it was trained on.
  return { ...(file as RankerFile), knn: { ...file.knn!, trendingWeight: file.knn?.trendingWeight ?? 0 } };
}

export function writeRankerFile(path: string, file: RankerFile): void {
  writeFileSync(path, JSON.stringify(file));
}
