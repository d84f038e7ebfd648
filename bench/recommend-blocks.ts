/**
 * The recommend benchmark's max phase cut into short blocks, each followed by a block of the same
 * load on GET /healthz, a route that does no work: one server (core 0), this process on core 1.
 *
 * One 15 s phase's p99 says as much about the machine's minutes as about the server: on the
 * benchmark VMs, in some minutes even /healthz under the same load answers 1% of its requests
 * after 7-9 ms, and in those minutes the recommend p99 is 9.1-11.8 ms against 5.6-8.7 ms in the
 * others (BENCHMARKS.md, session 22). Blocks show the spread, and each /healthz block beside its
 * recommend block tells which minutes those were.
 */
import { engineOptions } from './diginetica-system.ts';
import { recommendationPaths } from './request-order.ts';
import { withServer } from './recommend.ts';
import { info, round, runAutocannon, spread, type OptionSpec, type Result } from './support.ts';

export const options = {
  blocks: { default: 20, help: 'pairs of blocks (recommend, then /healthz)' },
  seconds: { default: 3, help: 'seconds a block' },
  connections: { default: 64, help: 'connections of each block' },
  p99Target: { default: 8, help: 'ms: the p99 a recommend block is counted against' },
  ...engineOptions,
} satisfies OptionSpec;

export function run(args: string[]): Promise<Result> {
  return withServer(args, options, async (o, loaded) => {
    const base = `http://127.0.0.1:${loaded.port}`;
    const path = recommendationPaths(o.order, loaded.testSessions);
    let next = 0;
    const load = async (route: 'recommend' | 'healthz', seconds: number) => {
      const requests = route === 'recommend' ? [{ method: 'GET', setupRequest: (request: object) => ({ ...request, path: path(next++) }) }] : undefined;
      const result = await runAutocannon({ url: route === 'recommend' ? base : `${base}/healthz`, connections: o.connections, duration: seconds, requests });
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
