/**
 * The configured recommenders by name, and the versioned parameter file that `sessionwise tune`
 * writes and the server and `sessionwise eval` load.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CovisitRecommender } from './covisit-recommender.ts';
import { HistoricalRecommender } from './historical-recommender.ts';
import { RankedRecommender, type RankerFile } from './ranker/ranked-recommender.ts';
import type { Recommender } from './recommender.ts';
import { DEFAULT_KNN_PARAMS, SessionKnnRecommender, type SessionKnnParams } from './session-knn.ts';

export const STRATEGIES = ['ranked', 'session-knn', 'covisit', 'historical'] as const;
export type Strategy = (typeof STRATEGIES)[number];

const FORMAT = 'sessionwise-recommender-params-1';

export interface ParamsFile {
  format: typeof FORMAT;
  strategy: 'session-knn';
  params: SessionKnnParams;
  /** Where the parameters were chosen, for the record. */
  tuning?: Record<string, unknown>;
}

export function createRecommender(strategy: Strategy, options: { params?: Partial<SessionKnnParams>; model?: RankerFile } = {}): Recommender {
  const params = options.params ?? {};
  switch (strategy) {
    case 'ranked':
      if (!options.model) throw new Error('the ranked strategy needs a model file (sessionwise train --out model.json)');
      return new RankedRecommender(options.model);
    case 'session-knn':
      return new SessionKnnRecommender({ ...DEFAULT_KNN_PARAMS, ...params });
    case 'covisit':
      return new CovisitRecommender();
    case 'historical':
      return new HistoricalRecommender();
  }
}

export function readParamsFile(path: string): ParamsFile {
  const file = JSON.parse(readFileSync(path, 'utf8')) as Partial<ParamsFile>;
  if (file.format !== FORMAT) throw new Error(`${path}: not a Sessionwise parameter file (format ${String(file.format)}, expected ${FORMAT})`);
  const unknown = Object.keys(file.params ?? {}).filter((k) => !(k in DEFAULT_KNN_PARAMS));
  if (unknown.length) throw new Error(`${path}: unknown parameters ${unknown.join(', ')}`);
  // A file from before a parameter existed gets its default.
  return { ...(file as ParamsFile), params: { ...DEFAULT_KNN_PARAMS, ...file.params } };
}

export function writeParamsFile(path: string, params: SessionKnnParams, tuning: Record<string, unknown>): void {
  const file: ParamsFile = { format: FORMAT, strategy: 'session-knn', params, tuning };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}
