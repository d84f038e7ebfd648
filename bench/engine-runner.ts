/**
 * The engine benchmark's measuring process (not a benchmark itself): Diginetica loaded as the
 * recommend server loads it, then `recommendationList` (what GET /v1/recommendations calls)
 * request by request, one warm-up round and `rounds` measured ones. Progress on stderr, one JSON
 * line on stdout.
 *
 * usage: node engine-runner.mjs <train_sessions.txt> <test_pairs.tsv> <recommender> <requests> <rounds> [file|shuffled]
 * (engine settings from MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE)
 */
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createMetrics } from '../src/ops/metrics.ts';
import { recommendationList } from '../src/serve/recommendations.ts';
import { openDigineticaSystem } from './diginetica-system.ts';
import { requestOrder } from './request-order.ts';
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

/** Times a round; with `answers`, also hashes every answer (the warm-up round, which is not reported). */
async function measure(answers?: Hash): Promise<{ microsPerRequest: number; latencies: Float64Array }> {
  const latencies = new Float64Array(requests);
  const start = performance.now();
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const list = await recommendationList(system, { sessionId: `test-${prefix(next++)}`, k: 20 }, metrics);
    latencies[i] = (performance.now() - t0) * 1000;
    answers?.update(JSON.stringify(list));
  }
  return { microsPerRequest: ((performance.now() - start) * 1000) / requests, latencies };
}

// Without exploration the answers are deterministic: their digest tells whether a change to the
// engine kept them (same requests, same digest), which a timing alone cannot.
const answers = system.config.explorationShare === 0 ? createHash('sha256') : undefined;
await measure(answers);
const measured = [];
for (let r = 0; r < rounds; r++) {
  const { microsPerRequest, latencies } = await measure();
  const { p50, p99 } = summarize(latencies, 1);
  measured.push({ microsPerRequest: round(microsPerRequest, 1), p50Micros: p50, p99Micros: p99 });
  info(`round ${r + 1}/${rounds}: ${round(microsPerRequest, 1)} µs a request (p50 ${p50}, p99 ${p99})`);
}
const micros = measured.map((m) => m.microsPerRequest).sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
await system.close();
const answersDigest = answers?.digest('hex').slice(0, 16) ?? null;
console.log(JSON.stringify({ strategy: system.recommender.name, microsPerRequest: micros, requestsPerSecondOneCore: Math.round(1e6 / micros), answersDigest, rounds: measured, loaded: figures }));
process.exit(0);
