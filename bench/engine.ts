/**
 * The recommendation engine in-process, without HTTP: the function GET /v1/recommendations calls
 * (recommender, feedback and exploration, rules, catalog annotation), timed request by request
 * over the Diginetica test prefixes loaded as live sessions, compiled as the product runs, on
 * core 0 (bench/engine-runner.ts). What the recommend benchmark measures minus the HTTP server and
 * the kernel's loopback. With `--exploration 0` the answers are deterministic, and the result's
 * `answersDigest` (of the warm-up round's answers) tells whether a change to the engine kept them.
 */
import { engineOptions, engineRun } from './diginetica-system.ts';
import { bundled, info, measuringProcess, type OptionSpec, type Result } from './support.ts';

export const options = {
  requests: { default: 20_000, help: 'requests a round (test prefixes in --order, wrapping)' },
  rounds: { default: 5, help: 'measured rounds, after one unmeasured warm-up round' },
  ...engineOptions,
} satisfies OptionSpec;

export async function run(args: string[]): Promise<Result> {
  const start = engineRun(args, options);
  if ('skip' in start) return start.skip;
  const { o, train, test, env } = start;
  info('loading Diginetica on core 0 (about a minute), then timing requests');
  const result = await measuringProcess(['--expose-gc', await bundled('engine-runner'), train, test, o.recommender, String(o.requests), String(o.rounds), o.order], env, 'engine');
  return { ...result, config: o };
}
