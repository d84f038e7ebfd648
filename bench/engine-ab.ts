/**
 * Two checkouts' engines compared in-process, without HTTP: this checkout's (B) and another's (A,
 * `--base`: e.g. `git worktree add ../base <rev>` with this checkout's node_modules linked into it
 * and its kernel built). Each side is its own checkout's bench/engine-side.ts, bundled; one process
 * on core 0 loads both with Diginetica and times blocks of requests, alternating between them, so
 * that both builds run in the same minutes of this drifting machine (bench/engine-ab-runner.ts).
 *
 * The result is the median, over blocks, of A's time a request over B's (above 1: B is faster),
 * with its quartiles. The same build against itself gives 0.98-1.03: differences within that
 * need more blocks, or the other order (swap the checkouts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engineOptions, engineRun } from './diginetica-system.ts';
import { bundled, info, measuringProcess, type OptionSpec, type Result } from './support.ts';

export const options = {
  base: { default: '', help: 'the other checkout (A), with bench/engine-side.ts (session 17 on) and node_modules' },
  blocks: { default: 60, help: 'measured blocks per build, after 5 unmeasured ones' },
  requests: { default: 500, help: 'requests a block (test prefixes in --order, wrapping)' },
  ...engineOptions,
} satisfies OptionSpec;

export async function run(args: string[]): Promise<Result> {
  const start = engineRun(args, options);
  if ('skip' in start) return start.skip;
  const { o, train, test, env } = start;
  if (!o.base) throw new Error('--base <dir> is required: the checkout to compare with');
  const baseRoot = resolve(o.base);
  if (!existsSync(join(baseRoot, 'bench', 'engine-side.ts'))) throw new Error(`${baseRoot} has no bench/engine-side.ts (copy it from this checkout into an older one)`);
  info('loading Diginetica twice on core 0 (about a minute each), then timing blocks of requests, alternating');
  const sides = [await bundled('engine-side', baseRoot), await bundled('engine-side')];
  const runnerArgs = [...sides, train, test, o.recommender, o.order, String(o.blocks), String(o.requests)];
  const result = await measuringProcess(['--expose-gc', await bundled('engine-ab-runner'), ...runnerArgs], env, 'engine-ab');
  return { ...result, a: baseRoot, config: o };
}
