/**
 * The recommendation engine in-process, without HTTP: the function GET /v1/recommendations calls
 * (recommender, feedback and exploration, rules, catalog annotation), timed request by request
 * over the Diginetica test prefixes loaded as live sessions, compiled as the product runs, on
 * core 0 (bench/engine-runner.ts). What the recommend benchmark measures minus the HTTP server and
 * the kernel's loopback.
 */
import { bundled, datasetFiles, info, parseOptions, serverNodeFlags, spawnNode, type OptionSpec, type Result } from './support.ts';

export const options = {
  requests: { default: 20_000, help: 'requests a round (test prefixes in file order, wrapping)' },
  rounds: { default: 5, help: 'measured rounds, after one unmeasured warm-up round' },
  recommender: { default: 'configured', help: 'strategy (a config `recommender` value); "configured": the default configuration' },
  model: { default: '', help: 'ranker model file (MODEL_FILE): the ranked engine' },
  params: { default: '', help: 'session-knn parameter file (PARAMS_FILE)' },
  exploration: { default: 0.1, help: 'share of slots explored (EXPLORATION_SHARE; the served default is 0.1)' },
} satisfies OptionSpec;

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const data = datasetFiles(['diginetica/train_sessions.txt', 'diginetica/test_pairs.tsv']);
  if ('skip' in data) return data.skip;
  const [train, test] = data.files as [string, string];
  info('loading Diginetica on core 0 (about a minute), then timing requests');
  const env = { MODEL_FILE: o.model || undefined, PARAMS_FILE: o.params || undefined, EXPLORATION_SHARE: String(o.exploration) };
  let result: Result | undefined;
  const runner = spawnNode([...serverNodeFlags(), '--expose-gc', await bundled('engine-runner'), train, test, o.recommender, String(o.requests), String(o.rounds)], {
    core: 0,
    env,
    onLine: (line) => (line.startsWith('{') ? (result = JSON.parse(line) as Result) : process.stderr.write(`[engine] ${line}\n`)),
  });
  const code = await new Promise<number | null>((done) => runner.process.once('exit', done));
  if (!result) throw new Error(`engine runner exited (${code}) without a result`);
  return { ...result, config: o };
}
