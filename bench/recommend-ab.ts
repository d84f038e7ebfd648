/**
 * Two recommend servers compared over HTTP at the same time: this checkout's (B) and another's
 * (A, `--base`: e.g. `git worktree add ../base <rev>` with this checkout's node_modules linked into
 * it), or two ranker models on this checkout (A serves `--baseModel`, B `--model`). Both load
 * Diginetica side by side on core 0, each with its own checkout's node flags; max-throughput
 * blocks alternate between them, A then B, each block's load generator a process of its own on
 * core 1 (bench/closed-loop.ts) whose first second is not counted, as the recommend benchmark's
 * max phase loads one server.
 *
 * The machine's speed drifts by up to 2x within an hour, and sequential runs of `recommend`
 * compare the half-hours more than the builds. Blocks of a few seconds put both builds in the same
 * ones: each B block is compared with the A blocks just before and after it, and the result is the
 * median of those ratios, with the median requests/s and p99 of each build.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { engineOptions, engineRun } from './diginetica-system.ts';
import { closedLoopAside } from './closed-loop.ts';
import { PrefixRotation } from './open-loop.ts';
import { CLIENT_CORE, startServer } from './recommend.ts';
import { info, REPO_ROOT, round, spread, type ChildServer, type OptionSpec, type Result } from './support.ts';

export const options = {
  base: { default: '', help: 'the other checkout (A), with bench/recommend-server.ts and node_modules (default: this one)' },
  baseModel: { default: '', help: "A's ranker model file (default: --model, the model B serves)" },
  blocks: { default: 30, help: 'blocks per build' },
  seconds: { default: 3, help: 'seconds a block' },
  uncounted: { default: 1, help: "seconds before each block, on its connections, whose answers are not counted (the connections' opening and the new client process's first compilations)" },
  connections: { default: 64, help: 'connections of each block' },
  ...engineOptions,
} satisfies OptionSpec;

interface Build {
  root: string;
  model: string | undefined;
  server: ChildServer;
  port: number;
  requestsPerSecond: number[];
  p99Ms: number[];
}

export async function run(args: string[]): Promise<Result> {
  const start = engineRun(args, options);
  if ('skip' in start) return start.skip;
  const { o, train, test, env } = start;
  if (!o.base && !o.baseModel) throw new Error('--base <dir> or --baseModel <file> is required: the checkout or model to compare with');
  const baseRoot = o.base ? resolve(o.base) : REPO_ROOT;
  if (!existsSync(join(baseRoot, 'bench', 'recommend-server.ts'))) throw new Error(`${baseRoot} has no bench/recommend-server.ts`);

  const builds: Build[] = [];
  try {
    let testSessions = 0;
    const sides = [
      { root: baseRoot, env: o.baseModel ? { ...env, MODEL_FILE: o.baseModel } : env },
      { root: REPO_ROOT, env },
    ];
    for (const { root, env: sideEnv } of sides) {
      info(`starting ${root}'s recommend server (model ${sideEnv.MODEL_FILE ?? 'none'}) on core 0 (loads Diginetica: about a minute)`);
      const { server, info: loaded } = await startServer(train, test, o.recommender, sideEnv, root);
      builds.push({ root, model: sideEnv.MODEL_FILE, server, port: loaded.port, requestsPerSecond: [], p99Ms: [] });
      testSessions = loaded.testSessions;
    }
    const [a, b] = builds as [Build, Build];
    const rotation = new PrefixRotation(o.order, testSessions);
    const block = async (build: Build, seconds: number) => {
      const result = await closedLoopAside({ base: `http://127.0.0.1:${build.port}`, paths: rotation.plan(), connections: o.connections, durationS: seconds, uncountedS: o.uncounted }, CLIENT_CORE);
      rotation.advance(result.sent);
      return result;
    };
    for (const build of builds) await block(build, 3);

    const ratios: number[] = [];
    for (let i = 0; i < o.blocks; i++) {
      for (const build of builds) {
        const result = await block(build, o.seconds);
        if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`${build.root}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
        build.requestsPerSecond.push(result.requestsPerSecond);
        build.p99Ms.push(result.latencyMs.p99);
      }
      // This B block against the A blocks before and after it (A then B, so both lie next to it).
      ratios.push(b.requestsPerSecond[i]! / a.requestsPerSecond[i]!);
      if (i > 0) ratios.push(b.requestsPerSecond[i - 1]! / a.requestsPerSecond[i]!);
      info(`block ${i + 1}/${o.blocks}: A ${a.requestsPerSecond[i]} requests/s, B ${b.requestsPerSecond[i]} (${round(ratios.at(-1)!, 3)})`);
    }
    const figures = (build: Build) => ({ root: build.root, model: build.model, requestsPerSecond: spread(build.requestsPerSecond, 0), p99Ms: spread(build.p99Ms, 1) });
    return { a: figures(a), b: figures(b), ratioBoverA: spread(ratios, 3), config: o };
  } finally {
    for (const build of builds) await build.server.stop();
  }
}
