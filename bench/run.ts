/**
 * Benchmark dispatcher: `npm run bench -- <name> [options]` runs one benchmark and prints its
 * result as one JSON line, the last line on stdout (progress goes to stderr);
 * `npm run bench -- --help` lists them.
 *
 * A benchmark that asks for a core or for node flags runs in a child process started with them
 * (`taskset -c <core> node <flags> ...`); HTTP benchmarks run the load generator on core 1 and
 * their server on core 0.
 */
import { spawn } from 'node:child_process';
import { describeOptions, info, machine, pinnedNode, type OptionSpec, type Result } from './support.ts';

interface BenchmarkModule {
  options: OptionSpec;
  run(args: string[]): Promise<Result>;
}

interface Entry {
  summary: string;
  target: string;
  /** Core the benchmark process runs on (the load generator, for HTTP benchmarks). */
  core?: number;
  nodeFlags?: string[];
  load: () => Promise<BenchmarkModule>;
}

const BENCHMARKS: Record<string, Entry> = {
  ingest: {
    summary: 'durable ingest: POST /v1/events, batches of 50, real server (sync writes) on core 0, autocannon on core 1',
    target: '>= 100,000 events/s',
    core: 1,
    load: () => import('./ingest.ts'),
  },
  stream: {
    summary: 'stream processing: StreamProcessor over a pre-filled LMDB log into a MemoryFeatureStore, one core',
    target: '>= 200,000 events/s per core',
    core: 0,
    load: () => import('./stream.ts'),
  },
  recommend: {
    summary: 'recommendations with the Diginetica training set loaded, one request per test prefix; server on core 0',
    target: '>= 10,000 requests/s with p99 <= 8 ms; p99 <= 2 ms at 1,000 requests/s',
    core: 1,
    load: () => import('./recommend.ts'),
  },
  'recommend-ab': {
    summary: 'two recommend servers (this checkout and --base <dir>, or --model and --baseModel <file>) loaded side by side on core 0, max-throughput blocks alternating between them',
    target: 'which build serves more: the median ratio of adjacent blocks, both in the same minutes of this drifting machine',
    core: 1,
    load: () => import('./recommend-ab.ts'),
  },
  'recommend-blocks': {
    summary: "the recommend benchmark's max phase in short blocks, each followed by the same load on GET /healthz (a route that does no work); one server on core 0",
    target: '>= 10,000 requests/s with p99 <= 8 ms, block by block, beside what the machine gives a route that does nothing in the same minutes',
    core: 1,
    load: () => import('./recommend-blocks.ts'),
  },
  engine: {
    summary: 'the recommendation engine in-process (no HTTP), Diginetica loaded, compiled as the product runs, request by request on core 0',
    target: 'the share of the recommend budget (10,000 requests/s: 100 µs a request) the engine takes',
    core: 1,
    load: () => import('./engine.ts'),
  },
  'engine-ab': {
    summary: 'two engines (this checkout and --base <dir>) loaded in one process on core 0, blocks of in-process requests alternating between them',
    target: "which build's engine is faster: the median ratio of the two builds' times a request, block by block",
    core: 1,
    load: () => import('./engine-ab.ts'),
  },
  freshness: {
    summary: 'event accepted -> reflected in that session: POST one event, GET with after=<token>; real server on core 0',
    target: 'p99 <= 10 ms',
    core: 1,
    load: () => import('./freshness.ts'),
  },
  rerank: {
    summary: 'live re-rank in the page: demo shop in headless Chromium, product views by link, rail updated by the pushed list; server on core 0',
    target: 'rail re-ranked within 100 ms of the product view',
    core: 1,
    load: () => import('./rerank.ts'),
  },
  memory: {
    summary: 'state bytes per active session with 1,000,000 sessions (node --expose-gc)',
    target: '<= 300 bytes per active session',
    core: 0,
    nodeFlags: ['--expose-gc'],
    load: () => import('./memory.ts'),
  },
  'engine-memory': {
    summary: 'recommendation engine memory: feature state built from a training set (session index, co-visitation, item statistics) plus the ranker model (node --expose-gc)',
    target: 'index and model <= 300 MB',
    core: 0,
    nodeFlags: ['--expose-gc'],
    load: () => import('./engine-memory.ts'),
  },
  checkpoint: {
    summary: 'a checkpoint of the embedded state with Diginetica loaded, the event loop timed meanwhile; one core',
    target: 'the longest stall a checkpoint adds to requests, against the recommend p99 budget of 8 ms',
    core: 0,
    load: () => import('./checkpoint.ts'),
  },
  'top-lists': {
    summary: 'the trending and popular lists (overall and per category) refreshed once a second of events, on the request thread; one core',
    target: 'the stall a refresh adds to requests once a second, against the recommend p99 budget of 8 ms',
    core: 0,
    load: () => import('./top-lists.ts'),
  },
  'cluster-freshness': {
    summary: 'event accepted by a collector -> reflected in recommendations from a server in another process, through the broker and Redis',
    target: 'p99 <= 100 ms',
    load: () => import('./cluster-freshness.ts'),
  },
  'cluster-throughput': {
    summary: 'per-core throughput of the collector, processor and server roles as separate processes over the broker and Redis',
    target: 'figures for the sizing table',
    load: () => import('./cluster-throughput.ts'),
  },
  'cluster-scaling': {
    summary: 'processors draining a broker backlog into Redis: 1 processor, then n (default 2 on this 2-core machine)',
    target: '>= 0.8 of linear where the machine has the cores',
    load: () => import('./cluster-scaling.ts'),
  },
  logstore: {
    summary: 'event log store candidates: LMDB (lmdb) vs SQLite (better-sqlite3), durable group-commit appends and range reads',
    target: 'choose the store (see BENCHMARKS.md)',
    core: 0,
    load: () => import('./logstore.ts'),
  },
};

const CHILD_ENV = 'SESSIONWISE_BENCH_CHILD';

async function describe(name: string, entry: Entry): Promise<string[]> {
  const { options } = await entry.load();
  const lines = [`  ${name.padEnd(10)} ${entry.summary}`, `  ${''.padEnd(10)} target: ${entry.target}`];
  if (Object.keys(options).length > 0) lines.push(describeOptions(options));
  return lines;
}

/** The usage of every benchmark, or of the one named. */
async function help(only?: string): Promise<void> {
  const lines = [`usage: npm run bench -- ${only ?? '<name>'} [options]`, '', 'Prints one JSON line of results, the last line on stdout.', ''];
  for (const [name, entry] of Object.entries(BENCHMARKS)) {
    if (only === undefined || only === name) lines.push(...(await describe(name, entry)), '');
  }
  console.log(lines.join('\n'));
}

/** Runs the benchmark again in a child with its core and flags; resolves with the child's exit code. */
function runInChild(name: string, entry: Entry, args: string[]): Promise<number> {
  const { command, args: argv } = pinnedNode(entry.core, [...(entry.nodeFlags ?? []), '--import', 'tsx', 'bench/run.ts', name, ...args]);
  const child = spawn(command, argv, { stdio: 'inherit', env: { ...process.env, [CHILD_ENV]: '1' } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolveCode) => child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 1 : 0))));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await help();
    return name === undefined ? 2 : 0;
  }
  const entry = BENCHMARKS[name];
  if (!entry) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')} (npm run bench -- --help)`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    await help(name);
    return 0;
  }
  if (process.env[CHILD_ENV] !== '1' && (entry.core !== undefined || entry.nodeFlags !== undefined)) return runInChild(name, entry, args);
  const module = await entry.load();
  const started = Date.now();
  info(`${name}: ${entry.summary}`);
  const result = await module.run(args);
  const line = { benchmark: name, target: entry.target, ...result, machine: { ...machine(), core: entry.core ?? null }, wallSeconds: Math.round((Date.now() - started) / 100) / 10 };
  console.log(JSON.stringify(line));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
