/**
 * Recommendations with the whole Diginetica training set loaded: bench/recommend-server.ts (a
 * separate process pinned to core 0) loads the training sessions and every test prefix as a live
 * session; load generators on core 1, each phase in a process of its own (bench/closed-loop.ts,
 * bench/open-loop.ts), ask GET /v1/recommendations?sessionId=test-<n>&k=20, rotating over the
 * prefixes:
 *   max:   autocannon, as fast as the server answers;
 *   rate:  autocannon with overallRate (it sends each connection's quota per second in a burst);
 *   paced: an open-loop generator (bench/open-loop.ts) sending one request every 1/rate s (the
 *          arrival pattern the "at 1,000 requests/s" target describes), latency from send to answer;
 *   sustainable: the highest open-loop rate, found by bisection, whose p99 stays within
 *          --p99Target ms (the target's throughput and tail as one figure);
 *   floor: the same paced load on GET /healthz, which does no work: the latency this machine,
 *          Node's HTTP stack and Fastify give on their own, to judge the recommendation p99 by;
 *   ceiling: the max phase's load on GET /healthz, right after it: the throughput the same
 *          machine, client and server give a route that does no work, to judge `max` by (this
 *          machine's speed drifts by up to 2x between hours);
 *   stalls: both cores' own gaps, the server idle (bench/stall-meter.ts): how often and how long
 *          the machine took a core away in this run's minutes, to judge the open loops' p99 by.
 */
import http from 'node:http';
import { engineOptions, engineRun } from './diginetica-system.ts';
import { closedLoopAside, type ClosedLoopPlan } from './closed-loop.ts';
import { openLoopAside, PrefixRotation, type PathPlan } from './open-loop.ts';
import { recommendationPath } from './request-order.ts';
import { measureStalls } from './stall-meter.ts';
import { bundled, getJson, info, REPO_ROOT, round, spawnServer, type ChildServer, type OptionSpec, type Options, type Result } from './support.ts';

export const options = {
  duration: { default: 15, help: 'seconds of each measured phase' },
  warmup: { default: 3, help: 'seconds of unmeasured load first' },
  connections: { default: 64, help: 'connections for the max-throughput phase' },
  target: { default: 10_000, help: 'requests/s of the sustained phase: an open loop at the target throughput, for its p99' },
  p99Target: { default: 8, help: 'ms: the p99 the sustainable-rate search keeps within' },
  searchSteps: { default: 5, help: 'bisection steps of the sustainable-rate search, between 0 and 1.2x the max phase (0: no search)' },
  searchSeconds: { default: 5, help: 'seconds of each step of the sustainable-rate search' },
  rate: { default: 1000, help: 'requests/s of the fixed-rate phases' },
  rateConnections: { default: 16, help: 'connections for the autocannon fixed-rate phase' },
  stallSeconds: { default: 10, help: "seconds of the machine's own stalls, measured on both cores after the phases (0: not measured)" },
  ...engineOptions,
} satisfies OptionSpec;

/** The core of the load generators (this process's, in bench/run.ts); the server runs on core 0. */
export const CLIENT_CORE = 1;

export interface ServerInfo {
  port: number;
  testSessions: number;
  [key: string]: unknown;
}

/** The recommend server of this checkout or of another (`root`), launched as that checkout's `npm start` launches, on core 0; resolves once it serves. */
export async function startServer(train: string, test: string, recommender: string, env: NodeJS.ProcessEnv, root = REPO_ROOT): Promise<{ server: ChildServer; info: ServerInfo }> {
  let resolveInfo: (value: ServerInfo) => void = () => undefined;
  const ready = new Promise<ServerInfo>((r) => (resolveInfo = r));
  const server = spawnServer(
    ['--expose-gc', await bundled('recommend-server', root), train, test, recommender],
    { core: 0, env, onLine: (line) => (line.startsWith('{') ? resolveInfo(JSON.parse(line) as ServerInfo) : process.stderr.write(`[server] ${line}\n`)) },
    root,
  );
  const exited = new Promise<never>((_, reject) => server.process.once('exit', (code) => reject(new Error(`recommend server exited (${code}) before serving`))));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('recommend server not ready after 300 s')), 300_000)));
  try {
    return { server, info: await Promise.race([ready, exited, timeout]) };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

interface Recommendations {
  strategy: string;
  fresh: boolean;
  items: Array<{ itemId: string; reason: string }>;
}

const FALLBACK_REASONS = new Set(['trending now', 'popular']);

/** A few answers checked: full lists, mostly personalised (not the trending or popular fallback). */
async function sample(base: string, sessions: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true });
  let full = 0;
  let personalised = 0;
  let items = 0;
  let strategy = '';
  const n = 200;
  for (let i = 0; i < n; i++) {
    const answer = await getJson<Recommendations>(agent, `${base}${recommendationPath(Math.floor((i * sessions) / n))}`);
    if (answer.items.length === 20) full++;
    items += answer.items.length;
    personalised += answer.items.filter((it) => !FALLBACK_REASONS.has(it.reason)).length;
    strategy = answer.strategy;
  }
  agent.destroy();
  return { strategy, requests: n, fullLists: full, personalisedShare: round(personalised / items, 3) };
}

/**
 * A benchmark against one recommend server: its options parsed, the server started on core 0 for
 * `measure` and stopped after it; the skip result where Diginetica is absent.
 */
export async function withServer<S extends typeof engineOptions & OptionSpec>(
  args: string[],
  spec: S,
  measure: (o: Options<S>, loaded: ServerInfo) => Promise<Result>,
): Promise<Result> {
  const start = engineRun(args, spec);
  if ('skip' in start) return start.skip;
  const { o, train, test, env } = start;
  info('starting the recommend server on core 0 (loads Diginetica: about a minute)');
  // S holds the engine options; TypeScript cannot resolve Options' conditional types while S is generic.
  const { server, info: loaded } = await startServer(train, test, (o as unknown as Options<typeof engineOptions>).recommender, env);
  try {
    info(`server ready: ${JSON.stringify(loaded)}`);
    return await measure(o, loaded);
  } finally {
    await server.stop();
  }
}

export function run(args: string[]): Promise<Result> {
  return withServer(args, options, async (o, loaded) => {
    const base = `http://127.0.0.1:${loaded.port}`;
    const n = loaded.testSessions;
    const check = await sample(base, n);
    // Every load generator runs in a new process on this one's core (see openLoopAside and
    // closedLoopAside), asking for the prefixes from where the previous phase stopped.
    const rotation = new PrefixRotation(o.order, n);
    const openLoop = (rate: number, durationS: number, paths: PathPlan = rotation.plan()) => openLoopAside({ base, rate, durationS, paths }, CLIENT_CORE);
    const closedLoop = async (plan: Omit<ClosedLoopPlan, 'base' | 'paths'>, paths: PathPlan = rotation.plan()) => {
      const result = await closedLoopAside({ base, paths, ...plan }, CLIENT_CORE);
      rotation.advance(result.sent);
      return result;
    };
    // The warm-up has two parts. The first is a run of its own: when its connections close, V8
    // drops its optimized code for about 30 of node's HTTP functions (a code dependency that the
    // first closes break), and 45 compilations on the server's core would otherwise open the
    // measurement. The rest runs on the measurement's own connections, its answers not counted:
    // 64 connections opened at once slowed the first second too (BENCHMARKS.md, session 20).
    const warmupS = Math.min(1, o.warmup / 3);
    const uncountedS = o.warmup - warmupS;
    info(`max throughput: ${o.connections} connections, ${o.duration} s (after ${round(uncountedS, 1)} s on the same connections)`);
    const max = await closedLoop({ connections: o.connections, durationS: o.duration, warmupS, uncountedS });
    info(`max: ${max.requestsPerSecond} requests/s, p50 ${max.latencyMs.p50} ms, p99 ${max.latencyMs.p99} ms; the client's collections ${JSON.stringify(max.clientGc)}`);
    info(`ceiling: GET /healthz, ${o.connections} connections, ${o.duration} s`);
    const ceiling = await closedLoop({ connections: o.connections, durationS: o.duration }, { path: '/healthz' });
    info(`ceiling: ${ceiling.requestsPerSecond} requests/s (max reached ${round((100 * max.requestsPerSecond) / ceiling.requestsPerSecond, 1)}% of it)`);
    // The target is a throughput and a p99 together: sent on schedule, whatever the answers do.
    info(`sustained: paced open loop at ${o.target} requests/s, ${o.duration} s`);
    const sustained = await openLoop(o.target, o.duration);
    rotation.advance(sustained.sent);
    info(`sustained: ${sustained.achievedRate} requests/s sent, ${sustained.answered} answered, p50 ${sustained.latencyMs.p50} ms, p99 ${sustained.latencyMs.p99} ms (requests written up to ${sustained.sendLagMs.p99} ms late at p99)`);
    // The highest rate whose p99 stays within the target: each step an open loop like the one above.
    const steps: Array<{ rate: number; p99Ms: number; sent: number; skipped: number }> = [];
    let sustainable = { rate: 0, p99Ms: Number.NaN };
    for (let lo = 0, hi = Math.round(1.2 * max.requestsPerSecond), step = 0; step < o.searchSteps; step++) {
      const probe = Math.round((lo + hi) / 2);
      const result = await openLoop(probe, o.searchSeconds);
      rotation.advance(result.sent);
      const met = result.skipped === 0 && result.failed === 0 && result.latencyMs.p99 <= o.p99Target;
      steps.push({ rate: probe, p99Ms: result.latencyMs.p99, sent: result.sent, skipped: result.skipped });
      info(`sustainable rate, step ${step + 1}/${o.searchSteps}: ${probe} requests/s, p99 ${result.latencyMs.p99} ms (${met ? 'within' : 'over'} ${o.p99Target} ms)`);
      if (met) {
        lo = probe;
        sustainable = { rate: probe, p99Ms: result.latencyMs.p99 };
      } else hi = probe;
    }
    info(`fixed rate (autocannon overallRate ${o.rate}), ${o.duration} s`);
    const rate = await closedLoop({ connections: o.rateConnections, durationS: o.duration, overallRate: o.rate });
    info(`paced open loop at ${o.rate} requests/s, ${o.duration} s`);
    const paced = await openLoop(o.rate, o.duration);
    info(`noise floor: paced GET /healthz at ${o.rate} requests/s, ${o.duration} s`);
    const floor = await openLoop(o.rate, o.duration, { path: '/healthz' });
    info(`at ${o.rate}/s: paced p99 ${paced.latencyMs.p99} ms, autocannon-rate p99 ${rate.latencyMs.p99} ms, /healthz p99 ${floor.latencyMs.p99} ms`);
    let machineStalls;
    if (o.stallSeconds > 0) {
      info(`machine stalls: a spinning process on each core, the server idle, ${o.stallSeconds} s`);
      machineStalls = await measureStalls([0, 1], o.stallSeconds);
      info(`machine stalls: ${JSON.stringify(machineStalls)}`);
    }
    return {
      strategy: check.strategy,
      requestsPerSecond: max.requestsPerSecond,
      latencyMs: max.latencyMs,
      sustained,
      sustainable: { p99TargetMs: o.p99Target, ...sustainable, steps },
      atFixedRate: {
        rate: o.rate,
        paced: paced,
        healthzFloor: { latencyMs: floor.latencyMs, failed: floor.failed, clientGcMaxMs: floor.clientGcMaxMs },
        autocannonOverallRate: { requestsPerSecond: rate.requestsPerSecond, latencyMs: rate.latencyMs, autocannon: rate.autocannon, failed: rate.non2xx + rate.errors + rate.timeouts },
      },
      max: { autocannon: max.autocannon, failed: max.non2xx + max.errors + max.timeouts, connections: o.connections, clientGc: max.clientGc },
      ceiling: { requestsPerSecond: ceiling.requestsPerSecond, latencyMs: ceiling.latencyMs, maxShare: round(max.requestsPerSecond / ceiling.requestsPerSecond, 3), clientGc: ceiling.clientGc },
      machineStalls,
      server: loaded,
      sample: check,
      config: o,
    };
  });
}
