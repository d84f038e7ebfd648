/**
 * `engine-ab`'s measuring process (not a benchmark itself): two checkouts' engines (their bundled
 * bench/engine-side.ts) loaded side by side in this one process, then blocks of requests
 * alternating between them, A then B, then B then A. Progress on stderr, one JSON line on stdout.
 *
 * usage: node engine-ab-runner.mjs <sideA.mjs> <sideB.mjs> <train_sessions.txt> <test_pairs.tsv> <recommender> <order> <blocks> <requests>
 * (engine settings from MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE, the same for both sides)
 */
import { pathToFileURL } from 'node:url';
import type { EngineSide, openEngineSide } from './engine-side.ts';
import { info, round, spread } from './support.ts';

const [sideA, sideB, trainPath, testPath, recommender, order, blocksArg, requestsArg] = process.argv.slice(2);
const blocks = Number(blocksArg);
const requests = Number(requestsArg);
if (!sideA || !sideB || !trainPath || !testPath || !recommender || !order || !(blocks > 0) || !(requests > 0)) {
  console.error('usage: engine-ab-runner.ts <sideA.mjs> <sideB.mjs> <train_sessions.txt> <test_pairs.tsv> <recommender> <order> <blocks> <requests>');
  process.exit(2);
}

const { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE } = process.env;
async function open(bundle: string, name: string): Promise<EngineSide> {
  info(`loading Diginetica into ${name}'s engine (${bundle})`);
  const side = (await import(pathToFileURL(bundle).href)) as { openEngineSide: typeof openEngineSide };
  return side.openEngineSide(trainPath!, testPath!, recommender!, { MODEL_FILE, PARAMS_FILE, EXPLORATION_SHARE }, order!);
}
const a = await open(sideA, 'A');
const b = await open(sideB, 'B');

// Unmeasured blocks first, so that both sides' code is optimised before the timing starts.
for (let w = 0; w < 5; w++) {
  await a.timeBlock(requests);
  await b.timeBlock(requests);
}
const aMicros: number[] = [];
const bMicros: number[] = [];
const speedups: number[] = [];
for (let k = 0; k < blocks; k++) {
  // Each side goes first in every other pair: the first of a pair finds the other's data in cache.
  const [first, second] = k % 2 === 0 ? [a, b] : [b, a];
  const firstMicros = await first.timeBlock(requests);
  const secondMicros = await second.timeBlock(requests);
  const [ta, tb] = k % 2 === 0 ? [firstMicros, secondMicros] : [secondMicros, firstMicros];
  aMicros.push(ta);
  bMicros.push(tb);
  speedups.push(ta / tb);
  if ((k + 1) % 10 === 0) info(`block ${k + 1}/${blocks}: A ${round(ta, 1)} µs, B ${round(tb, 1)} µs a request`);
}
console.log(JSON.stringify({ aMicrosPerRequest: spread(aMicros, 1), bMicrosPerRequest: spread(bMicros, 1), speedupBoverA: spread(speedups, 3) }));
process.exit(0);
