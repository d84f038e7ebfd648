/**
 * The engine benchmark's measuring process (not a benchmark itself): Diginetica loaded as the
 * recommend server loads it, then `recommendationList` (what GET /v1/recommendations calls)
 * request by request, one warm-up round and `rounds` measured ones. Progress on stderr, one JSON
 * line on stdout.
 *
 * usage: node engine-runner.mjs <train_sessions.txt> <test_pairs.tsv> <recommender> <requests> <rounds> [file|shuffled]
 * (engine settings from MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE)
 */
import { performance } from 'node:perf_hooks';
import { createMetrics } from '../src/ops/metrics.ts';
import { recommendationList } from '../src/serve/recommendations.ts';
import { openDigineticaSystem, requestOrder } from './diginetica-system.ts';
import { info, round, summarize } from './support.ts';

const [trainPath, testPath, recommender, requestsArg, roundsArg, order = 'file'] = process.argv.slice(2);
const requests = Number(requestsArg);
const rounds = Number(roundsArg);
if (!trainPath || !testPath || !recommender || !(requests > 0) || !(rounds > 0)) {
  console.error('usage: engine-runner.ts <train_sessions.txt> <test_pairs.tsv> <recommender> <requests> <rounds> [file|shuffled]');
  process.exit(2);
}

const { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE } = process.env;
const { system, testSessions, figures } = await openDigineticaSystem(trainPath, testPath, recommender, { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE });
const metrics = createMetrics(system.store);
const prefix = requestOrder(order, testSessions);
let next = 0;

async function measure(): Promise<{ microsPerRequest: number; latencies: Float64Array }> {
  const latencies = new Float64Array(requests);
  const start = performance.now();
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await recommendationList(system, { sessionId: `test-${prefix(next++)}`, k: 20 }, metrics);
    latencies[i] = (performance.now() - t0) * 1000;
  }
  return { microsPerRequest: ((performance.now() - start) * 1000) / requests, latencies };
}

await measure();
const measured = [];
for (let r = 0; r < rounds; r++) {
  const { microsPerRequest, latencies } = await measure();
  const { p50, p99 } = summarize(latencies, 1);
  measured.push({ microsPerRequest: round(microsPerRequest, 1), p50Micros: p50, p99Micros: p99 });
  info(`round ${r + 1}/${rounds}: ${round(microsPerRequest, 1)} µs a request (p50 ${p50}, p99 ${p99})`);
}
const micros = measured.map((m) => m.microsPerRequest).sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
await system.close();
console.log(JSON.stringify({ strategy: system.recommender.name, microsPerRequest: micros, requestsPerSecondOneCore: Math.round(1e6 / micros), rounds: measured, loaded: figures }));
process.exit(0);
