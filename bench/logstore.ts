/**
 * Event log store candidates for this workload: durable appends of batches of 50 event records
 * (~300 bytes each) from many concurrent requests, then sequential reads by key range.
 *   LMDB:   the LmdbEventLog adapter itself (lmdb-js: puts of one event turn share a transaction,
 *           committed and fsynced off the JS thread; append waits for `flushed`).
 *   SQLite: better-sqlite3, WAL, a table keyed (partition, offset) WITHOUT ROWID, values as JSON;
 *           group commit: every batch queued within an event turn goes into one transaction
 *           (synchronous=FULL: fsync per commit, as durable as LMDB; NORMAL is shown for reference:
 *           in WAL mode it does not sync on commit, so an acknowledged batch can be lost on power loss).
 * `inFlight` writers each append a batch and wait for it to be durable, then the next; optionally
 * each burns `cpuUs` of CPU first (the request handling a server does per batch), which shows
 * whether a store lets that work overlap with the disk flush (LMDB) or blocks it (SQLite's
 * commit runs on the JS thread). Paced variants append one batch every 5 ms and record the
 * event-loop delay: what other requests served by the same process wait for while a commit runs.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { partitionKey, type LoggedEvent } from '../src/events/logged.ts';
import { LmdbEventLog } from '../src/log/embedded/lmdb-log.ts';
import { partitionFor, type LogRecord } from '../src/log/event-log.ts';
import { EventGenerator, info, parseOptions, removeDir, round, summarize, tempDir, type OptionSpec, type Result } from './support.ts';

export const options = {
  seconds: { default: 3, help: 'seconds of appends per variant and round' },
  rounds: { default: 3, help: 'rounds; the variants take turns in each' },
  inFlight: { default: 64, help: 'batches in flight (concurrent writers)' },
  batch: { default: 50, help: 'records per batch' },
  partitions: { default: 8, help: 'partitions' },
  cpuUs: { default: 300, help: 'CPU per batch in the "with request work" variants (microseconds)' },
} satisfies OptionSpec;

interface Store {
  append(records: LogRecord<LoggedEvent>[]): Promise<void>;
  /** Reads every partition from offset 0 in ranges of `limit`; returns how many records. */
  readAll(limit: number): Promise<number>;
  close(): Promise<void>;
  readonly commits?: number;
}

function lmdbStore(dir: string, partitions: number): Store {
  const log = new LmdbEventLog({ dir, partitions });
  return {
    async append(records) {
      await log.append('events', records);
    },
    async readAll(limit) {
      let n = 0;
      for (let p = 0; p < partitions; p++) {
        for (let from = 0; ; ) {
          const entries = await log.read<LoggedEvent>('events', p, from, limit);
          if (entries.length === 0) break;
          n += entries.length;
          from = entries[entries.length - 1]!.offset + 1;
        }
      }
      return n;
    },
    close: () => log.close(),
  };
}

function sqliteStore(dir: string, partitions: number, synchronous: 'FULL' | 'NORMAL'): Store {
  const db = new Database(join(dir, 'log.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE events (partition INTEGER NOT NULL, offset INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (partition, offset)) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO events (partition, offset, value) VALUES (?, ?, ?)');
  const range = db.prepare('SELECT offset, value FROM events WHERE partition = ? AND offset >= ? ORDER BY offset LIMIT ?');
  const next = new Array<number>(partitions).fill(0);
  let queue: Array<{ records: LogRecord<LoggedEvent>[]; done: () => void; failed: (e: unknown) => void }> = [];
  let commits = 0;
  const commit = db.transaction((group: typeof queue) => {
    for (const { records } of group) {
      for (const record of records) {
        const p = partitionFor(record.key, partitions);
        insert.run(p, next[p]!++, JSON.stringify(record.value));
      }
    }
  });
  const flush = (): void => {
    const group = queue;
    queue = [];
    try {
      commit(group);
      commits++;
      for (const g of group) g.done();
    } catch (error) {
      for (const g of group) g.failed(error);
    }
  };
  return {
    get commits() {
      return commits;
    },
    append(records) {
      return new Promise((done, failed) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ records, done, failed });
      });
    },
    async readAll(limit) {
      let n = 0;
      for (let p = 0; p < partitions; p++) {
        for (let from = 0; ; ) {
          const rows = range.all(p, from, limit) as Array<{ offset: number; value: string }>;
          if (rows.length === 0) break;
          for (const row of rows) JSON.parse(row.value);
          n += rows.length;
          from = rows[rows.length - 1]!.offset + 1;
        }
      }
      return n;
    },
    async close() {
      db.close();
    },
  };
}

function burn(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
}

async function drive(store: Store, pool: LogRecord<LoggedEvent>[], o: { seconds: number; inFlight: number; batch: number }, cpuUs: number): Promise<Result> {
  const latencies: number[] = [];
  let events = 0;
  let cursor = 0;
  const stopAt = performance.now() + o.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.inFlight }, async () => {
      while (performance.now() < stopAt) {
        if (cpuUs > 0) burn(cpuUs);
        const records: LogRecord<LoggedEvent>[] = [];
        for (let k = 0; k < o.batch; k++) records.push(pool[cursor++ % pool.length]!);
        const t0 = performance.now();
        await store.append(records);
        latencies.push(performance.now() - t0);
        events += records.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSecond: Math.round(events / seconds), events, batchLatencyMs: summarize(latencies), ...(store.commits !== undefined ? { eventsPerCommit: Math.round(events / store.commits) } : {}) };
}

/**
 * A server's quiet hours: one batch every `everyMs`, and how long the event loop is held up
 * meanwhile (what a recommendation request served by the same process would wait).
 */
async function drivePaced(store: Store, pool: LogRecord<LoggedEvent>[], o: { seconds: number; batch: number }, everyMs: number): Promise<Result> {
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let cursor = 0;
  let pending = 0;
  let stopping = false;
  const stopAt = performance.now() + o.seconds * 1000;
  delay.enable();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      if (performance.now() >= stopAt) {
        clearInterval(timer);
        stopping = true;
        if (pending === 0) done();
        return;
      }
      const records: LogRecord<LoggedEvent>[] = [];
      for (let k = 0; k < o.batch; k++) records.push(pool[cursor++ % pool.length]!);
      const t0 = performance.now();
      pending++;
      void store.append(records).then(() => {
        latencies.push(performance.now() - t0);
        if (--pending === 0 && stopping) done();
      });
    }, everyMs);
  });
  delay.disable();
  const ms = (ns: number) => round(ns / 1e6, 2);
  return { batches: latencies.length, batchLatencyMs: summarize(latencies), eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const generator = new EventGenerator({ seed: 13, concurrentSessions: 5000 });
  const pool: LogRecord<LoggedEvent>[] = [];
  for (let i = 0; i < 20_000; i++) {
    const value = generator.next();
    pool.push({ key: partitionKey(value.event), value });
  }
  const jsonBytes = Math.round(pool.reduce((s, r) => s + Buffer.byteLength(JSON.stringify(r.value)), 0) / pool.length);
  const variants: Array<{ name: string; make: (dir: string) => Store; cpuUs: number; read: boolean; pacedMs?: number }> = [
    { name: 'lmdb', make: (dir) => lmdbStore(dir, o.partitions), cpuUs: 0, read: true },
    { name: 'sqliteFull', make: (dir) => sqliteStore(dir, o.partitions, 'FULL'), cpuUs: 0, read: true },
    { name: 'sqliteNormal', make: (dir) => sqliteStore(dir, o.partitions, 'NORMAL'), cpuUs: 0, read: false },
    { name: 'lmdb+cpu', make: (dir) => lmdbStore(dir, o.partitions), cpuUs: o.cpuUs, read: false },
    { name: 'sqliteFull+cpu', make: (dir) => sqliteStore(dir, o.partitions, 'FULL'), cpuUs: o.cpuUs, read: false },
    { name: 'lmdbPaced', make: (dir) => lmdbStore(dir, o.partitions), cpuUs: 0, read: false, pacedMs: 5 },
    { name: 'sqliteFullPaced', make: (dir) => sqliteStore(dir, o.partitions, 'FULL'), cpuUs: 0, read: false, pacedMs: 5 },
  ];
  // Variants take turns, round after round: the disk's fsync latency drifts on a shared machine,
  // and interleaving lets each round compare the stores under the same conditions.
  const runs: Record<string, Result[]> = {};
  for (let round_ = 0; round_ < o.rounds; round_++) {
    for (const variant of variants) {
      const dir = tempDir(`logstore-${variant.name}`);
      const store = variant.make(dir);
      try {
        const result = variant.pacedMs ? await drivePaced(store, pool, o, variant.pacedMs) : await drive(store, pool, o, variant.cpuUs);
        if (variant.read) {
          const t0 = performance.now();
          const n = await store.readAll(1000);
          result.readEventsPerSecond = Math.round(n / ((performance.now() - t0) / 1000));
        }
        const what = variant.pacedMs ? `event-loop delay ${JSON.stringify(result.eventLoopDelayMs)}` : `${String(result.eventsPerSecond)} events/s`;
        info(`round ${round_ + 1} ${variant.name}: ${what}${variant.read ? `, read ${String(result.readEventsPerSecond)} events/s` : ''}`);
        (runs[variant.name] ??= []).push(result);
      } finally {
        await store.close();
        removeDir(dir);
      }
    }
  }
  const rates = (name: string, key = 'eventsPerSecond') => (runs[name] ?? []).map((r) => r[key] as number);
  const med = (name: string, key?: string) => median(rates(name, key));
  const ratios = (a: string, b: string) => rates(a).map((x, i) => round(x / rates(b)[i]!, 2));
  return {
    appendEventsPerSecond: { lmdb: med('lmdb'), sqliteFull: med('sqliteFull'), sqliteNormal: med('sqliteNormal') },
    withRequestWork: { cpuUsPerBatch: o.cpuUs, lmdb: med('lmdb+cpu'), sqliteFull: med('sqliteFull+cpu') },
    readEventsPerSecond: { lmdb: med('lmdb', 'readEventsPerSecond'), sqliteFull: med('sqliteFull', 'readEventsPerSecond') },
    onePacedBatchEvery5ms: {
      lmdb: { eventLoopDelayP99Ms: median((runs.lmdbPaced ?? []).map((r) => (r.eventLoopDelayMs as { p99: number }).p99)), batchLatencyP50Ms: median((runs.lmdbPaced ?? []).map((r) => (r.batchLatencyMs as { p50: number }).p50)) },
      sqliteFull: { eventLoopDelayP99Ms: median((runs.sqliteFullPaced ?? []).map((r) => (r.eventLoopDelayMs as { p99: number }).p99)), batchLatencyP50Ms: median((runs.sqliteFullPaced ?? []).map((r) => (r.batchLatencyMs as { p50: number }).p50)) },
    },
    lmdbOverSqliteFullByRound: { appends: ratios('lmdb', 'sqliteFull'), withRequestWork: ratios('lmdb+cpu', 'sqliteFull+cpu'), reads: rates('lmdb', 'readEventsPerSecond').map((x, i) => round(x / rates('sqliteFull', 'readEventsPerSecond')[i]!, 2)) },
    runs,
    recordJsonBytes: jsonBytes,
    config: o,
  };
}
