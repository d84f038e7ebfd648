/**
 * A checkpoint of the embedded state with Diginetica loaded (the recommend benchmarks' system),
 * on one core, while the event loop is timed: a callback re-queued with setImmediate records
 * every gap between its runs, so the longest gap is the longest any request would have waited
 * behind the checkpoint. Also how long events were held (the store applies none until the state
 * is written) and the whole checkpoint, fsync included.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryFeatureStore } from '../src/features/memory/memory-store.ts';
import { digineticaFiles, openDigineticaSystem } from './diginetica-system.ts';
import { info, parseOptions, round, summarize, type OptionSpec, type Result } from './support.ts';

export const options = {
  rounds: { default: 5, help: 'checkpoints taken and timed, one after another' },
} satisfies OptionSpec;

/** Runs `work` while timing every turn of the event loop; returns its result and the longest turn in ms. */
async function withLongestTurn<T>(work: () => Promise<T>): Promise<{ value: T; longestTurnMs: number }> {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { value: await work(), longestTurnMs: longest };
  } finally {
    running = false;
  }
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const data = digineticaFiles();
  if ('skip' in data) return data.skip;
  info('loading Diginetica (about a minute)');
  const { system, figures } = await openDigineticaSystem(data.train, data.test, 'session-knn', {});
  const store = system.store as MemoryFeatureStore;
  const rounds: Array<{ longestTurnMs: number; eventsHeldMs: number; totalMs: number }> = [];
  for (let r = 0; r < o.rounds; r++) {
    const { value: timing, longestTurnMs } = await withLongestTurn(() => store.checkpoint());
    if (!timing) throw new Error('the loaded system has no data dir to checkpoint into');
    rounds.push({ longestTurnMs: round(longestTurnMs, 1), eventsHeldMs: round(timing.heldMs, 0), totalMs: round(timing.totalMs, 0) });
    info(`checkpoint ${r + 1}/${o.rounds}: longest event-loop turn ${round(longestTurnMs, 1)} ms, events held ${round(timing.heldMs, 0)} ms, total ${round(timing.totalMs, 0)} ms`);
  }
  const fileMB = round(statSync(join(system.config.dataDir, 'state', 'checkpoint.bin')).size / 1e6, 1);
  await system.close();
  const median = (key: 'longestTurnMs' | 'eventsHeldMs' | 'totalMs') => summarize(Float64Array.from(rounds, (x) => x[key]), 1).p50;
  return { longestTurnMs: median('longestTurnMs'), eventsHeldMs: median('eventsHeldMs'), totalMs: median('totalMs'), fileMB, rounds, loaded: figures, config: o };
}
