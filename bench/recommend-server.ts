/**
 * Server for the recommend benchmark (not a benchmark itself): the embedded system on a temporary
 * data dir (sync writes off), the Diginetica training sessions loaded as history and every test
 * prefix loaded as its own live session (`test-<n>`, n the line of test_pairs.tsv), then the HTTP
 * API on a free loopback port. Prints one JSON line on stdout once serving: port and load figures.
 * Exits on SIGTERM/SIGINT or when its parent goes (stdin closes), removing the data dir.
 *
 * usage: node --import tsx bench/recommend-server.ts <train_sessions.txt> <test_pairs.tsv> [recommender]
 * (recommender: a config `recommender` value; left out or "configured": the default configuration)
 */
import { performance } from 'node:perf_hooks';
import { loadConfig, type Config } from '../src/config/config.ts';
import { liveSessionEvents, loadEvents, readSessions, readTestPairs, sequentialSessionEvents } from '../src/eval/load-sessions.ts';
import { MemoryFeatureStore } from '../src/features/memory/memory-store.ts';
import { createHttpServer } from '../src/serve/http.ts';
import { openEmbeddedSystem } from '../src/system.ts';
import { memoryMiB, round, tempDir } from './support.ts';

const [trainPath, testPath, recommender = 'configured'] = process.argv.slice(2);
if (!trainPath || !testPath) {
  console.error('usage: recommend-server.ts <train_sessions.txt> <test_pairs.tsv> [recommender]');
  process.exit(2);
}

// Removed on any exit (signal, error, parent gone) by the exit hook of support.ts.
const dataDir = tempDir('recommend');
process.stdin.on('close', () => process.exit(0)).resume();

try {
  const chosen = recommender === 'configured' ? {} : { recommender: recommender as Config['recommender'] };
  // Only the engine's settings come from the environment (the bench sets them); the rest is fixed here.
  const { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE } = process.env;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage();
  const config = loadConfig({ env: { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE }, overrides: { dataDir, syncWrites: false, logLevel: 'silent', host: '127.0.0.1', port: 0, demo: false, ...chosen } });
  const system = openEmbeddedSystem(config);
  const store = system.store;
  if (!(store instanceof MemoryFeatureStore)) throw new Error('the embedded system no longer uses MemoryFeatureStore; this loader needs it');

  const t0 = performance.now();
  const train = readSessions(trainPath);
  const prefixes = readTestPairs(testPath).map((pair) => pair.prefix);
  const trained = await loadEvents(store, sequentialSessionEvents(train, { idPrefix: 'train' }));
  const live = await loadEvents(store, liveSessionEvents(prefixes, { idPrefix: 'test', startTime: trained.lastTime + 10 * 60_000 }));
  const loadMs = performance.now() - t0;
  // What a long-running server has already done: expire the ended training sessions (its upkeep
  // ticks sweep the whole session table within minutes), checkpoint.
  store.state.expireSessions();
  const c0 = performance.now();
  store.checkpoint();
  const checkpointMs = performance.now() - c0;
  gc?.();
  const memory = memoryMiB();
  const loaded = process.memoryUsage();

  const app = await createHttpServer(system);
  await app.listen({ port: 0, host: '127.0.0.1' });
  await system.processor.start();
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const stats = store.stats();
  console.log(
    JSON.stringify({
      port: address.port,
      recommender: config.recommender,
      testSessions: prefixes.length,
      loadSeconds: round(loadMs / 1000, 2),
      events: { training: trained.events, test: live.events, applied: trained.applied + live.applied, late: trained.late + live.late, duplicates: trained.duplicates + live.duplicates },
      liveSessions: stats.activeSessions,
      items: stats.items,
      checkpointMs: Math.round(checkpointMs),
      memoryMiB: memory,
      // Everything the engine holds once loaded: session index, co-visitation, item statistics,
      // live sessions, dictionaries, the ranker model and the catalog mirror.
      engineMiB: round((loaded.heapUsed + loaded.external - baseline.heapUsed - baseline.external) / 2 ** 20, 1),
      model: config.modelFile ?? null,
      explorationShare: config.explorationShare,
    }),
  );
} catch (error) {
  console.error(`recommend-server: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
}
