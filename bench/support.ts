/**
 * Shared benchmark helpers: paths and dataset lookup, statistics, pinned child processes that are
 * always killed, a small HTTP client, the autocannon wrapper, a paced (open-loop) load generator
 * and a deterministic generator of realistic events.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import type { LoggedEvent } from '../src/events/logged.ts';

export type Result = Record<string, unknown>;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Datasets live beside the repository, never in it (see ../shared/datasets/README.md). */
export const DATASETS_DIR = resolve(REPO_ROOT, '..', 'shared', 'datasets');

/** Progress and information: stderr, so that stdout holds only the result line. */
export function info(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The dataset files, or a skip result naming what is missing. */
export function datasetFiles(relative: string[]): { files: string[] } | { skip: Result } {
  const files = relative.map((r) => join(DATASETS_DIR, r));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length === 0) return { files };
  const reason = `dataset not found: ${missing.join(', ')} (datasets live in ../shared/datasets relative to the repository; see its README.md)`;
  info(`skipped: ${reason}`);
  return { skip: { skipped: true, reason } };
}

// ---------------------------------------------------------------------------------------------
// Options and statistics

export interface OptionSpec {
  [name: string]: { default: number | string; help: string };
}

export type Options<S extends OptionSpec> = { [K in keyof S]: S[K]['default'] extends number ? number : string };

/** --name value options, numbers where the default is a number; unknown options are an error. */
export function parseOptions<S extends OptionSpec>(args: string[], spec: S): Options<S> {
  const { values } = parseArgs({ args, options: Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string' as const }])), strict: true, allowPositionals: false });
  const out: Record<string, number | string> = {};
  for (const [name, { default: fallback }] of Object.entries(spec)) {
    const raw = values[name];
    if (typeof fallback === 'string') {
      out[name] = raw ?? fallback;
      continue;
    }
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${String(raw)}`);
    out[name] = n;
  }
  return out as Options<S>;
}

export function describeOptions(spec: OptionSpec): string {
  return Object.entries(spec)
    .map(([name, { default: d, help }]) => `      --${name} <${typeof d === 'number' ? 'n' : 'name'}>  ${help} (default ${d})`)
    .join('\n');
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles by the nearest-rank method (p99 of 1000 values is the 990th smallest). */
export function summarize(values: ArrayLike<number>, digits = 3): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (p: number) => (n === 0 ? Number.NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!);
  let total = 0;
  for (const v of sorted) total += v;
  return { count: n, mean: round(total / n, digits), p50: round(at(50), digits), p90: round(at(90), digits), p99: round(at(99), digits), p999: round(at(99.9), digits), max: round(at(100), digits) };
}

/** Median, quartiles and extremes (nearest rank). */
export function spread(values: number[], digits: number): { median: number; q1: number; q3: number; min: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!, digits);
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), min: at(0), max: at(1) };
}

/** Temporary dirs not yet removed: the exit hook removes them when a run is cut short. */
const tempDirs = new Set<string>();

export function tempDir(prefix: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `sessionwise-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Process memory as Node reports it, and how much of it is on transparent huge pages (Linux), in MiB. */
export function memoryMiB(): { rss: number; heapUsed: number; external: number; arrayBuffers: number; hugePages?: number } {
  const m = process.memoryUsage();
  const mib = (b: number) => round(b / 2 ** 20, 1);
  const smaps = existsSync('/proc/self/smaps_rollup') ? readFileSync('/proc/self/smaps_rollup', 'utf8') : '';
  const hugeKiB = /^AnonHugePages:\s+(\d+) kB$/m.exec(smaps)?.[1];
  return { rss: mib(m.rss), heapUsed: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers), ...(hugeKiB === undefined ? {} : { hugePages: mib(Number(hugeKiB) * 1024) }) };
}

// ---------------------------------------------------------------------------------------------
// Machine and pinning

let tasksetChecked: boolean | undefined;

export function hasTaskset(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
  return tasksetChecked;
}

/** The kernel's transparent huge page mode (`always`, `madvise` or `never`): with `never` the launch's huge pages are not had. */
function transparentHugePages(): string {
  const path = '/sys/kernel/mm/transparent_hugepage/enabled';
  return existsSync(path) ? (/\[(\w+)\]/.exec(readFileSync(path, 'utf8'))?.[1] ?? 'unknown') : 'unavailable';
}

export function machine(): Result {
  return { cpus: cpus().length, cpusAvailable: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, taskset: hasTaskset(), transparentHugePages: transparentHugePages() };
}

/** The command line that runs `args` under node, pinned to `core` when taskset is available. */
export function pinnedNode(core: number | undefined, args: string[]): { command: string; args: string[] } {
  if (core === undefined || !hasTaskset()) return { command: process.execPath, args };
  return { command: 'taskset', args: ['-c', String(core), process.execPath, ...args] };
}

// ---------------------------------------------------------------------------------------------
// Child servers: every child is killed when this process exits, normally or not.

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      info(`${signal}: exiting (child processes and temporary dirs are cleaned up)`);
      process.exit(130);
    });
  }
}

export interface ChildServer {
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  core?: number;
  env?: NodeJS.ProcessEnv;
  /** Called with each stdout line; by default lines go to stderr. */
  onLine?: (line: string) => void;
}

/** How a process is launched: environment variables, then node flags. */
export interface Launch {
  env: Record<string, string>;
  flags: string[];
}

/**
 * How `npm start` launches the product (package.json's start script, of this checkout or of
 * `root`): `[NAME=value ...] node [--flags] bin/sessionwise.js ...`. Benchmarks run their servers
 * the same way.
 */
export function productLaunch(root = REPO_ROOT): Launch {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const parts = /^((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)node((?:\s+--\S+)*)\s+bin\/sessionwise\.js\b/.exec(scripts.start);
  if (!parts) throw new Error(`package.json's start script is not "[NAME=value ...] node [--flags] bin/sessionwise.js ...": ${scripts.start}`);
  const words = (text: string) => text.split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(words(parts[1]!).map((assignment) => [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)]));
  return { env, flags: words(parts[2]!) };
}

/**
 * A benchmark server's launch: the product's, with BENCH_SERVER_NODE_FLAGS after its flags, e.g.
 * "--cpu-prof --cpu-prof-dir=prof" to profile it.
 */
function serverLaunch(root = REPO_ROOT): Launch {
  const { env, flags } = productLaunch(root);
  return { env, flags: [...flags, ...(process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean)] };
}

/** `spawnNode` for a benchmark server: launched as `serverLaunch(root)` says, `options.env` over the launch's environment. */
export function spawnServer(args: string[], options: SpawnOptions = {}, root = REPO_ROOT): ChildServer {
  const launch = serverLaunch(root);
  return spawnNode([...launch.flags, ...args], { ...options, env: { ...launch.env, ...options.env } });
}

/**
 * A bench script (bench/<name>.ts, of this checkout or of `root`) compiled to plain JavaScript in
 * bench/out, as `npm start` runs the product (dist/): under `--import tsx` a module-loader thread
 * shares the pinned core (its idle-time collections, 10-20 ms twice a minute, showed up in the
 * paced p99), and every function made per request gets a naming wrapper call.
 */
export async function bundled(name: string, root = REPO_ROOT): Promise<string> {
  const outfile = join(root, 'bench', 'out', `${name}.mjs`);
  await build({ entryPoints: [join(root, 'bench', `${name}.ts`)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'warning' });
  return outfile;
}

/**
 * Runs a measuring process (`node <args>` on core 0, launched as `npm start` launches the product)
 * to its end; resolves with the JSON line it printed on stdout, its other lines going to stderr
 * tagged with `label`.
 */
export async function measuringProcess(args: string[], env: NodeJS.ProcessEnv, label: string): Promise<Result> {
  let result: Result | undefined;
  const child = spawnServer(args, { core: 0, env, onLine: (line) => (line.startsWith('{') ? (result = JSON.parse(line) as Result) : process.stderr.write(`[${label}] ${line}\n`)) });
  const code = await new Promise<number | null>((done) => child.process.once('exit', done));
  if (!result) throw new Error(`${label} exited (${code}) without a result`);
  return result;
}

/**
 * Runs `node <args>` pinned to `core` (a helper process: no product launch) to its end; resolves
 * with the JSON of the last line it printed on stdout. Its stderr passes through; it is killed
 * with the benchmark, as the child servers are.
 */
export async function nodeJson<T>(core: number, args: string[]): Promise<T> {
  let last = '';
  const child = spawnNode(args, { core, onLine: (line) => (last = line) });
  // 'close', not 'exit': its stdout is read to the end by then.
  const code = await new Promise<number | null>((done) => child.process.once('close', done));
  if (code !== 0) throw new Error(`node ${args.join(' ').slice(0, 200)} exited with ${code}`);
  return JSON.parse(last) as T;
}

/** Starts `node <args>` (pinned to a core when asked) in the repository root. */
function spawnNode(args: string[], options: SpawnOptions = {}): ChildServer {
  installExitHook();
  const { command, args: argv } = pinnedNode(options.core, args);
  const child = spawn(command, argv, { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  void exited.then(() => children.delete(child));
  createInterface({ input: child.stdout! }).on('line', (line) => (options.onLine ? options.onLine(line) : process.stderr.write(`[server] ${line}\n`)));
  return {
    process: child,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls until `check` is true; throws after `timeoutMs` or when the child has exited. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${what}: the server exited (${child.exitCode ?? child.signalCode})`);
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}

/** Starts the real server (`sessionwise start`) on a temporary data dir, pinned to `core`, and waits for /readyz. */
export async function startCliServer(options: { core: number; env?: NodeJS.ProcessEnv }): Promise<{ url: string; dataDir: string; server: ChildServer; stop(): Promise<void> }> {
  const port = await freePort();
  const dataDir = tempDir('server');
  const server = spawnServer(['--import', 'tsx', 'src/cli/main.ts', 'start', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], {
    core: options.core,
    // The demo shop would seed its synthetic history and catalog; only the rerank benchmark wants it.
    env: { LOG_LEVEL: 'silent', DEMO: 'false', ...options.env },
  });
  const url = `http://127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: false });
  try {
    await waitUntil('server start', async () => (await httpRequest(agent, `${url}/readyz`)).status === 200, 60_000, server.process);
  } catch (error) {
    await server.stop();
    removeDir(dataDir);
    throw error;
  }
  return {
    url,
    dataDir,
    server,
    async stop() {
      await server.stop();
      removeDir(dataDir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpAnswer {
  status: number;
  body: string;
}

export function httpRequest(agent: http.Agent, url: string, options: { method?: string; body?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const headers: http.OutgoingHttpHeaders = options.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) };
    const request = http.request(url, { method: options.method ?? 'GET', agent, headers, timeout: options.timeoutMs ?? 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolveAnswer({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${options.method ?? 'GET'} ${url}: timed out`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

export async function getJson<T>(agent: http.Agent, url: string): Promise<T> {
  const answer = await httpRequest(agent, url);
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.body.slice(0, 200)}`);
  return JSON.parse(answer.body) as T;
}

// ---------------------------------------------------------------------------------------------
// autocannon (no bundled types): the part of its API used here.

export interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: CannonRequest, context: Record<string, unknown>) => CannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: CannonRequest[];
  idReplacement?: boolean;
  overallRate?: number;
  ignoreCoordinatedOmission?: boolean;
  timeout?: number;
}

interface CannonHistogram {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}

interface CannonResult {
  requests: CannonHistogram;
  latency: CannonHistogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

interface CannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTimeMs: number) => void): void;
}

type Autocannon = (options: CannonOptions, done: (error: Error | null, result: CannonResult) => void) => CannonInstance;

const requireCjs = createRequire(import.meta.url);

export interface LoadResult {
  durationS: number;
  responses: number;
  requestsPerSecond: number;
  /** From each response's own timing, in ms with sub-millisecond resolution. */
  latencyMs: Summary;
  /** autocannon's own figures (whole milliseconds). */
  autocannon: { requestsPerSecondMean: number; latencyP50: number; latencyP99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** This process's garbage collections while the answers counted: a pause here holds answers unread and counts against the server. */
  clientGc: ClientGc;
}

export interface ClientGc {
  scavenges: number;
  markCompacts: number;
  /** The longest pause of any kind (incremental marking steps too). */
  longestPauseMs: number;
}

/** Counts this process's collections from `from` (performance.now()) on; `stop` ends the count. */
export function watchClientGc(from: number): { stop(): ClientGc } {
  const gc: ClientGc = { scavenges: 0, markCompacts: 0, longestPauseMs: 0 };
  const count = (entries: PerformanceEntry[]): void => {
    for (const entry of entries) {
      if (entry.startTime < from) continue;
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gc.scavenges++;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.markCompacts++;
      gc.longestPauseMs = Math.max(gc.longestPauseMs, entry.duration);
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      count(observer.takeRecords());
      observer.disconnect();
      return { ...gc, longestPauseMs: round(gc.longestPauseMs, 2) };
    },
  };
}

/** Numbers appended one by one into a typed array that doubles when full: no array of boxed or reallocated doubles in the old generation while measuring. */
class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(2 * this.values.length);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  get all(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

/**
 * Runs autocannon in this process (pin the process, not autocannon) and records every 2xx latency.
 * The answers of the first `uncountedS` seconds are left out of the figures, so that a warm-up can
 * run on the same connections as the measurement (autocannon's own figures still include them).
 */
export function runAutocannon(options: CannonOptions, uncountedS = 0): Promise<LoadResult> {
  const autocannon = requireCjs('autocannon') as Autocannon;
  const latencies = new Samples();
  const countFrom = performance.now() + 1000 * uncountedS;
  const gc = watchClientGc(countFrom);
  return new Promise((resolveRun, reject) => {
    const instance = autocannon({ timeout: 10, ...options }, (error, result) => {
      const clientGc = gc.stop();
      if (error) return reject(error);
      const durationS = result.duration - uncountedS;
      resolveRun({
        durationS: round(durationS, 2),
        responses: latencies.length,
        requestsPerSecond: Math.round(latencies.length / durationS),
        latencyMs: summarize(latencies.all),
        autocannon: { requestsPerSecondMean: Math.round(result.requests.mean), latencyP50: result.latency.p50, latencyP99: result.latency.p99 },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        clientGc,
      });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300 && performance.now() >= countFrom) latencies.push(ms);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Realistic events

/** mulberry32: small, fast, deterministic. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Item popularity rank drawn from a Zipf(s) law over n items (rank 0 the most popular). */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    s: number,
    private readonly rng: Rng,
  ) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) this.cdf[i] = total += 1 / Math.pow(i + 1, s);
    for (let i = 0; i < n; i++) this.cdf[i]! /= total;
  }

  sample(): number {
    const u = this.rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export const itemId = (rank: number): string => `sku-${(rank * 7919) % 1_000_003}`;
export const categoryOf = (rank: number): string => `cat-${rank % 400}`;
export const priceOf = (rank: number): number => 5 + ((rank * 37) % 500) + 0.99;

export interface EventGeneratorOptions {
  seed?: number;
  items?: number;
  zipfExponent?: number;
  /** Sessions in progress at any moment; events are spread over them at random. */
  concurrentSessions?: number;
  meanSessionEvents?: number;
  startTime?: number;
  /** Mean event-time gap between consecutive events (all sessions together). */
  meanGapMs?: number;
  idPrefix?: string;
  /** Only product_view events (the ingest benchmark); default: the realistic mix. */
  viewsOnly?: boolean;
}

interface LiveSession {
  n: number;
  left: number;
  item: number;
}

/**
 * A stream of LoggedEvents as shoppers make them: many concurrent sessions, each a run of
 * product views, clicks, scrolls, dwell pings and the odd add-to-cart, items drawn from a Zipf
 * law, event time increasing. Deterministic for a seed.
 */
export class EventGenerator {
  readonly rng: Rng;
  private readonly zipf: Zipf;
  private readonly live: LiveSession[] = [];
  private readonly meanSessionEvents: number;
  private readonly meanGapMs: number;
  private readonly idPrefix: string;
  private readonly viewsOnly: boolean;
  private time: number;
  private sessions = 0;
  private count = 0;

  constructor(options: EventGeneratorOptions = {}) {
    this.rng = new Rng(options.seed ?? 42);
    this.zipf = new Zipf(options.items ?? 50_000, options.zipfExponent ?? 1, this.rng);
    this.meanSessionEvents = options.meanSessionEvents ?? 12;
    this.meanGapMs = options.meanGapMs ?? 1;
    this.idPrefix = options.idPrefix ?? 'e';
    this.viewsOnly = options.viewsOnly ?? false;
    this.time = options.startTime ?? Date.UTC(2024, 0, 1);
    for (let i = 0; i < (options.concurrentSessions ?? 20_000); i++) this.live.push(this.newSession());
  }

  private newSession(): LiveSession {
    const left = 1 + Math.floor(-Math.log(1 - this.rng.next()) * (this.meanSessionEvents - 1));
    return { n: this.sessions++, left, item: this.zipf.sample() };
  }

  next(): LoggedEvent {
    const k = this.rng.int(this.live.length);
    const s = this.live[k]!;
    this.time += -Math.log(1 - this.rng.next()) * this.meanGapMs;
    const time = Math.round(this.time);
    const common = {
      id: `${this.idPrefix}-${this.count++}`,
      ts: time,
      anonymousId: `device-${s.n}`,
      sessionId: `session-${s.n}`,
      context: { page: `https://shop.example.com/p/${itemId(s.item)}`, device: s.n % 3 === 0 ? ('desktop' as const) : ('mobile' as const), locale: 'en-GB' },
    };
    const r = this.viewsOnly ? 0 : this.rng.next();
    let event: LoggedEvent['event'];
    if (r < 0.45) {
      s.item = this.zipf.sample();
      event = { type: 'product_view', ...common, itemId: itemId(s.item), category: categoryOf(s.item), price: priceOf(s.item) };
    } else if (r < 0.6) {
      s.item = this.zipf.sample();
      event = { type: 'click', ...common, itemId: itemId(s.item), listId: 'home-recs', position: this.rng.int(20) };
    } else if (r < 0.75) {
      event = { type: 'scroll', ...common, depth: 25 * (1 + this.rng.int(4)) };
    } else if (r < 0.92) {
      event = { type: 'dwell', ...common, visibleMs: 1000 + this.rng.int(30_000), itemId: itemId(s.item) };
    } else {
      event = { type: 'add_to_cart', ...common, itemId: itemId(s.item), category: categoryOf(s.item), price: priceOf(s.item), quantity: 1 };
    }
    if (--s.left <= 0) this.live[k] = this.newSession();
    return { event, time, receivedAt: time + 150 };
  }
}
