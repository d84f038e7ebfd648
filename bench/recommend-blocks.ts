/**
 * The recommend benchmark's max phase cut into short blocks, each followed by a block of the same
 * load on GET /healthz, a route that does no work: one server (core 0), each block's load
 * generator a process of its own on core 1 (bench/closed-loop.ts), whose first second on the
 * block's connections is not counted, as the max phase leaves out its warm-up's.
 *
 * One 15 s phase's p99 is one reading; blocks show its spread, and each /healthz block beside its
 * recommend block shows what the machine and the client give a route that does nothing in the
 * same seconds. (Session 22 read the runs where /healthz too had a p99 of 7-9 ms as the machine's
 * noisy minutes; session 23 found them to be the client's collections, when the load generator
 * still ran in the benchmark's own process.)
 */
import { engineOptions } from './diginetica-system.ts';
import { closedLoopAside } from './closed-loop.ts';
import { PrefixRotation } from './open-loop.ts';
import { CLIENT_CORE, withServer } from './recommend.ts';
import { info, round, spread, type OptionSpec, type Result } from './support.ts';

export const options = {
  blocks: { default: 20, help: 'pairs of blocks (recommend, then /healthz)' },
  seconds: { default: 3, help: 'seconds a block' },
  uncounted: { default: 1, help: "seconds before each block, on its connections, whose answers are not counted (the connections' opening and the new client process's first compilations)" },
  connections: { default: 64, help: 'connections of each block' },
  p99Target: { default: 8, help: 'ms: the p99 a recommend block is counted against' },
  ...engineOptions,
} satisfies OptionSpec;

export function run(args: string[]): Promise<Result> {
  return withServer(args, options, async (o, loaded) => {
    const base = `http://127.0.0.1:${loaded.port}`;
    const rotation = new PrefixRotation(o.order, loaded.testSessions);
    const load = async (route: 'recommend' | 'healthz', seconds: number) => {
      const paths = route === 'recommend' ? rotation.plan() : { path: '/healthz' };
      const result = await closedLoopAside({ base, paths, connections: o.connections, durationS: seconds, uncountedS: o.uncounted }, CLIENT_CORE);
      rotation.advance(result.sent);
      if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`${route}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
      return { requestsPerSecond: result.requestsPerSecond, p99Ms: result.latencyMs.p99 };
    };
    // Warm-up: the first closes of a run's connections make V8 recompile node's HTTP code (session 20).
    await load('recommend', 3);
    await load('healthz', 1);
    const blocks: Array<{ recommend: { requestsPerSecond: number; p99Ms: number }; healthz: { requestsPerSecond: number; p99Ms: number } }> = [];
    for (let i = 0; i < o.blocks; i++) {
      const recommend = await load('recommend', o.seconds);
      const healthz = await load('healthz', o.seconds);
      blocks.push({ recommend, healthz });
      info(`block ${i + 1}/${o.blocks}: recommend ${recommend.requestsPerSecond} requests/s, p99 ${recommend.p99Ms} ms; /healthz p99 ${healthz.p99Ms} ms`);
    }
    const figures = (route: 'recommend' | 'healthz') => ({
      requestsPerSecond: spread(blocks.map((b) => b[route].requestsPerSecond), 0),
      p99Ms: spread(blocks.map((b) => b[route].p99Ms), 2),
    });
    return {
      recommend: { ...figures('recommend'), blocksWithinTarget: blocks.filter((b) => b.recommend.p99Ms <= o.p99Target).length },
      healthz: figures('healthz'),
      // Each pair as [recommend requests/s, recommend p99, /healthz p99]: which minutes stalled.
      blocks: blocks.map((b) => [b.recommend.requestsPerSecond, round(b.recommend.p99Ms, 2), round(b.healthz.p99Ms, 2)]),
      config: o,
    };
  });
}
