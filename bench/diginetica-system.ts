/**
 * The embedded system with Diginetica loaded, as the recommend benchmarks serve it: a temporary
 * data dir (sync writes off), the training sessions as history and every test prefix as its own
 * live session (`test-<n>`, n the line of test_pairs.tsv), the ended training sessions expired
 * and a checkpoint taken, as a long-running server would have done.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig, type Config } from '../src/config/config.ts';
import { liveSessionEvents, loadEvents, readSessions, readTestPairs, sequentialSessionEvents } from '../src/eval/load-sessions.ts';
import { MemoryFeatureStore } from '../src/features/memory/memory-store.ts';
import { openEmbeddedSystem, type System } from '../src/system.ts';
import { checkOrder } from './request-order.ts';
import { datasetFiles, memoryMiB, parseOptions, round, tempDir, type OptionSpec, type Options, type Result } from './support.ts';

/** The engine settings a benchmark passes (MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE). */
export type EngineEnv = Record<string, string | undefined>;

/** The options that choose the engine, shared by the benchmarks that load it. */
export const engineOptions = {
  recommender: { default: 'configured', help: 'strategy served (a config `recommender` value); "configured": the default configuration' },
  model: { default: '', help: 'ranker model file (MODEL_FILE): the ranked engine' },
  params: { default: '', help: 'session-knn parameter file (PARAMS_FILE)' },
  exploration: { default: 0.1, help: 'share of slots explored (EXPLORATION_SHARE; the served default is 0.1)' },
  order: {
    default: 'file',
    help: 'order of the requests over the test prefixes: file (a session\'s growing prefixes one after another, so consecutive requests share neighbours) or shuffled (a fixed permutation, as interleaved shoppers arrive)',
  },
} satisfies OptionSpec;

/** The Diginetica training sessions and test pairs, or the skip result where they are absent. */
export function digineticaFiles(): { train: string; test: string } | { skip: Result } {
  const data = datasetFiles(['diginetica/train_sessions.txt', 'diginetica/test_pairs.tsv']);
  if ('skip' in data) return data;
  const [train, test] = data.files as [string, string];
  return { train, test };
}

export function engineEnv(o: { model: string; params: string; exploration: number }): EngineEnv {
  return { MODEL_FILE: o.model || undefined, PARAMS_FILE: o.params || undefined, EXPLORATION_SHARE: String(o.exploration) };
}

/**
 * The start of a benchmark that loads the engine: its options parsed and checked, the Diginetica
 * files and the engine's environment; or the skip result where the data set is absent.
 */
export function engineRun<S extends typeof engineOptions & OptionSpec>(
  args: string[],
  spec: S,
): { o: Options<S>; train: string; test: string; env: EngineEnv } | { skip: Result } {
  const o = parseOptions(args, spec);
  // S holds the engine options; TypeScript cannot resolve Options' conditional types while S is generic.
  const engine = o as unknown as Options<typeof engineOptions>;
  checkOrder(engine.order);
  const data = digineticaFiles();
  if ('skip' in data) return data;
  return { o, ...data, env: engineEnv(engine) };
}

export interface LoadedSystem {
  system: System;
  config: Config;
  testSessions: number;
  /** What loading took and holds, for the benchmark's JSON line. */
  figures: Result;
}

/** recommender: a config `recommender` value, or "configured" for the default configuration. */
export async function openDigineticaSystem(trainPath: string, testPath: string, recommender: string, env: EngineEnv): Promise<LoadedSystem> {
  const dataDir = tempDir('recommend');
  const chosen = recommender === 'configured' ? {} : { recommender: recommender as Config['recommender'] };
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage();
  // Only the engine's settings come from the environment; the rest is fixed here.
  const config = loadConfig({ env, overrides: { dataDir, syncWrites: false, logLevel: 'silent', host: '127.0.0.1', port: 0, demo: false, ...chosen } });
  const system = openEmbeddedSystem(config);
  const store = system.store;
  if (!(store instanceof MemoryFeatureStore)) throw new Error('the embedded system no longer uses MemoryFeatureStore; this loader needs it');

  const t0 = performance.now();
  const train = readSessions(trainPath);
  const prefixes = readTestPairs(testPath).map((pair) => pair.prefix);
  const trained = await loadEvents(store, sequentialSessionEvents(train, { idPrefix: 'train' }));
  const live = await loadEvents(store, liveSessionEvents(prefixes, { idPrefix: 'test', startTime: trained.lastTime + 10 * 60_000 }));
  const loadMs = performance.now() - t0;
  store.state.expireSessions();
  const checkpoint = await store.checkpoint();
  gc?.();
  const loaded = process.memoryUsage();
  const stats = store.stats();
  return {
    system,
    config,
    testSessions: prefixes.length,
    figures: {
      recommender: config.recommender,
      testSessions: prefixes.length,
      loadSeconds: round(loadMs / 1000, 2),
      events: { training: trained.events, test: live.events, applied: trained.applied + live.applied, late: trained.late + live.late, duplicates: trained.duplicates + live.duplicates },
      liveSessions: stats.activeSessions,
      items: stats.items,
      // Events waited for `held` (the stall requests saw: npm run bench -- checkpoint).
      checkpointMs: checkpoint && { held: Math.round(checkpoint.heldMs), total: Math.round(checkpoint.totalMs) },
      memoryMiB: memoryMiB(),
      // Everything the engine holds once loaded: session index, co-visitation, item statistics,
      // live sessions, dictionaries, the ranker model and the catalog mirror.
      engineMiB: round((loaded.heapUsed + loaded.external - baseline.heapUsed - baseline.external) / 2 ** 20, 1),
      model: config.modelFile ?? null,
      explorationShare: config.explorationShare,
    },
  };
}
