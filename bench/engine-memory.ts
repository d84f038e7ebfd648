/**
 * Memory of the recommendation engine with a whole training set loaded: the feature state the
 * stream builds from it (session index, co-visitation, item statistics, dictionaries, session
 * table) and the ranker model, each measured as growth of heapUsed + external after GC.
 */
import { train } from '../src/eval/evaluate.ts';
import { readSessions } from '../src/eval/load-sessions.ts';
import { RankedRecommender, readRankerFile } from '../src/recommend/ranker/ranked-recommender.ts';
import { datasetFiles, info, parseOptions, round, type OptionSpec, type Result } from './support.ts';

export const options = {
  dataset: { default: 'diginetica', help: 'data set folder under ../shared/datasets' },
  model: { default: '', help: 'ranker model file (sessionwise train) to load as well' },
} satisfies OptionSpec;

const MiB = 2 ** 20;

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('engine-memory needs node --expose-gc (run it through npm run bench -- engine-memory)');
  const data = datasetFiles([`${o.dataset}/train_sessions.txt`]);
  if ('skip' in data) return data.skip;
  const measure = () => {
    for (let i = 0; i < 3; i++) gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  const sessions = readSessions(data.files[0]!);
  const before = measure();
  info(`loading ${sessions.length} sessions through the stream's apply path`);
  const { store } = await train(sessions);
  const loaded = measure();
  const model = o.model ? new RankedRecommender(readRankerFile(o.model)) : undefined;
  const withModel = measure();
  const state = store.state;
  const snapshot = state.snapshot();
  const covisitationBytes = snapshot.covisitation.keys.byteLength + snapshot.covisitation.weights.byteLength;
  const indexMiB = (loaded - before) / MiB;
  const modelMiB = (withModel - loaded) / MiB;
  return {
    totalMiB: round(indexMiB + modelMiB, 1),
    featureStateMiB: round(indexMiB, 1),
    modelMiB: round(modelMiB, 2),
    parts: {
      sessionTableMiB: round(state.sessions.byteLength / MiB, 1),
      itemStatsMiB: round(state.itemStats.byteLength / MiB, 1),
      covisitationMiB: round(covisitationBytes / MiB, 1),
      note: 'the rest: session index (inline items, postings), dictionaries, user profiles, dedup',
    },
    sessions: sessions.length,
    items: state.items.size,
    model: model ? o.model : null,
    config: o,
  };
}
