/**
 * Embedded EventLog on LMDB. Why LMDB over SQLite: see BENCHMARKS.md ("event log store").
 *
 * One LMDB environment in DATA_DIR/log; one database per topic, keyed by [partition, offset].
 * Writes issued in the same event turn share one transaction (lmdb-js event-turn batching), so a
 * burst of requests costs one commit and one fsync: group commit. append() resolves only after
 * the commit is flushed to disk.
 *
 * The records of one append that share a partition are stored as one LMDB value, a run (an array
 * of records, keyed by the offset of its first): one put and one entry instead of one per record
 * (lmdb-js spends about as much per put as msgpack does encoding a record). A single record is stored as itself,
 * the layout of logs written before runs, so both read back alike. Record values are therefore
 * never arrays.
 *
 * Recently committed records stay in memory for this process's consumers, so the processor beside
 * the collector applies them without reading them back from LMDB and decoding them again.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  partitionFor,
  TOPICS,
  type ConsumeOptions,
  type EventLog,
  type LogConsumer,
  type LogEntry,
  type LogPosition,
  type LogRecord,
  type Positions,
  type TopicName,
} from '../event-log.ts';

type Key = [number, number];

/**
 * Records kept in memory per partition for consumers; past this, consumers read from LMDB. A
 * processor that keeps up is a batch or two behind; one that lags (a replay at full speed, a
 * restart) reads LMDB as before, and memory stays bounded: 8 partitions x 10,000 records of a
 * few hundred bytes each, tens of megabytes at most.
 */
const TAIL_LIMIT = 10_000;

/**
 * Per partition, the records appended since the slowest consumer's position: `from` is the offset
 * of `entries[0]`, `committed` the end of what LMDB has committed (only that is served).
 */
interface Tail {
  from: number[];
  entries: LogEntry<unknown>[][];
  committed: number[];
  /** The next offset of each consumer of the topic (their cursors). */
  cursors: Set<number[]>;
}

export interface LmdbLogOptions {
  dir: string;
  partitions: number;
  /** Skip fsync (tests and benchmarks that measure other parts); never the default. */
  noSync?: boolean;
}

export class LmdbEventLog implements EventLog {
  readonly partitions: number;
  private readonly root: RootDatabase;
  private readonly dbs = new Map<TopicName, Database<unknown, Key>>();
  private readonly next = new Map<TopicName, number[]>();
  private readonly listeners = new Map<TopicName, Set<() => void>>();
  private readonly tails = new Map<TopicName, Tail>();

  constructor(options: LmdbLogOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.root = open({ path: join(options.dir, 'log.lmdb'), maxDbs: 8, noSync: options.noSync ?? false, mapSize: 2 ** 36 });
    const stored = this.root.get('partitions') as number | undefined;
    if (stored !== undefined && stored !== options.partitions) {
      throw new Error(`event log in ${options.dir} has ${stored} partitions, configuration asks for ${options.partitions}; keep the partition count or use a new DATA_DIR`);
    }
    if (stored === undefined) this.root.putSync('partitions', options.partitions);
    this.partitions = options.partitions;
    for (const topic of TOPICS) {
      const db = this.root.openDB<unknown, Key>({ name: topic, encoding: 'msgpack', sharedStructuresKey: Symbol.for('structures') });
      this.dbs.set(topic, db);
      this.listeners.set(topic, new Set());
      const ends: number[] = [];
      for (let p = 0; p < this.partitions; p++) {
        let end = 0;
        for (const { key, value } of db.getRange({ start: [p, Number.MAX_SAFE_INTEGER], end: [p, -1], reverse: true, limit: 1 })) end = key[1] + runLength(value);
        ends.push(end);
      }
      this.tails.set(topic, { from: [...ends], entries: ends.map(() => []), committed: [...ends], cursors: new Set() });
      this.next.set(topic, ends);
    }
  }

  async append<T>(topic: TopicName, records: LogRecord<T>[]): Promise<LogPosition[]> {
    if (records.length === 0) return [];
    const db = this.db(topic);
    const ends = this.next.get(topic)!;
    const tail = this.tails.get(topic)!;
    const keep = tail.cursors.size > 0;
    const positions: LogPosition[] = new Array(records.length);
    const runs: Array<unknown[] | undefined> = new Array(this.partitions);
    const firsts: number[] = new Array(this.partitions);
    // Offsets are assigned in call order; LMDB commits puts in the order they were issued.
    for (let i = 0; i < records.length; i++) {
      const { key, value } = records[i]!;
      if (Array.isArray(value)) throw new TypeError('log record values must not be arrays (an array marks a run of records)');
      const partition = partitionFor(key, this.partitions);
      const offset = ends[partition]!++;
      positions[i] = { partition, offset };
      const run = runs[partition];
      if (run) run.push(value);
      else {
        runs[partition] = [value];
        firsts[partition] = offset;
      }
      if (keep) this.keep(tail, partition, offset, value);
    }
    let last: Promise<boolean> | undefined;
    for (let p = 0; p < this.partitions; p++) {
      const run = runs[p];
      if (run) last = db.put([p, firsts[p]!], run.length === 1 ? run[0] : run);
    }
    try {
      await last;
    } catch (error) {
      // What is kept may now hold records LMDB never stored: consumers go back to reading LMDB.
      this.dropTail(tail);
      throw error;
    }
    // Commits are in issue order, so everything up to this append's last offsets is committed.
    for (let p = 0; p < this.partitions; p++) {
      const run = runs[p];
      if (run) tail.committed[p] = Math.max(tail.committed[p]!, firsts[p]! + run.length);
    }
    for (const listener of this.listeners.get(topic)!) listener();
    await this.root.flushed;
    return positions;
  }

  private keep(tail: Tail, partition: number, offset: number, value: unknown): void {
    const entries = tail.entries[partition]!;
    if (tail.from[partition]! + entries.length !== offset || entries.length >= TAIL_LIMIT) {
      // Not contiguous (dropped before) or a consumer far behind: start over from here.
      tail.entries[partition] = [{ partition, offset, value }];
      tail.from[partition] = offset;
      return;
    }
    entries.push({ partition, offset, value });
  }

  private dropTail(tail: Tail): void {
    for (let p = 0; p < this.partitions; p++) {
      tail.entries[p] = [];
      tail.from[p] = -1;
    }
  }

  /** Committed entries of a partition from `from` on that are still in memory, or undefined. */
  private fromTail(tail: Tail, partition: number, from: number, limit: number): LogEntry<unknown>[] | undefined {
    const start = from - tail.from[partition]!;
    const entries = tail.entries[partition]!;
    if (start < 0 || start >= entries.length) return undefined;
    const end = Math.min(entries.length, start + limit, tail.committed[partition]! - tail.from[partition]!);
    return end > start ? entries.slice(start, end) : [];
  }

  /** Forgets entries every consumer has passed. */
  private trimTail(tail: Tail, partition: number): void {
    let min = Infinity;
    for (const cursor of tail.cursors) if (cursor[partition]! < min) min = cursor[partition]!;
    const drop = Math.min(min - tail.from[partition]!, tail.entries[partition]!.length);
    if (drop <= 0) return;
    const entries = tail.entries[partition]!;
    if (drop === entries.length) tail.entries[partition] = [];
    else entries.splice(0, drop);
    tail.from[partition]! += drop;
  }

  async read<T>(topic: TopicName, partition: number, from: number, limit: number): Promise<LogEntry<T>[]> {
    return this.readSync<T>(topic, partition, from, limit);
  }

  private readSync<T>(topic: TopicName, partition: number, from: number, limit: number): LogEntry<T>[] {
    const db = this.db(topic);
    // A run stored before `from` may hold it: start at the last key at or before `from`.
    let start = from;
    for (const key of db.getKeys({ start: [partition, from], end: [partition, -1], reverse: true, limit: 1 })) start = (key as Key)[1];
    const out: LogEntry<T>[] = [];
    for (const { key, value } of db.getRange({ start: [partition, start], end: [partition, Number.MAX_SAFE_INTEGER] })) {
      const first = (key as Key)[1];
      if (Array.isArray(value)) {
        for (let k = Math.max(0, from - first); k < value.length && out.length < limit; k++) out.push({ partition, offset: first + k, value: value[k] as T });
      } else if (first >= from) {
        out.push({ partition, offset: first, value: value as T });
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  async endOffsets(topic: TopicName): Promise<Positions> {
    return [...this.next.get(topic)!];
  }

  consume<T>(topic: TopicName, options: ConsumeOptions<T>): LogConsumer {
    const maxBatch = options.maxBatch ?? 1000;
    const cursor: number[] = [];
    for (let p = 0; p < this.partitions; p++) cursor.push(options.from(p));
    const tail = this.tails.get(topic)!;
    tail.cursors.add(cursor);
    let stopped = false;
    let running: Promise<void> | undefined;
    let again = false;

    const drain = async (): Promise<void> => {
      do {
        again = false;
        for (let p = 0; p < this.partitions && !stopped; p++) {
          while (!stopped) {
            const entries = (this.fromTail(tail, p, cursor[p]!, maxBatch) as LogEntry<T>[] | undefined) ?? this.readSync<T>(topic, p, cursor[p]!, maxBatch);
            if (entries.length === 0) break;
            await options.onBatch({ topic, partition: p, entries });
            cursor[p] = entries[entries.length - 1]!.offset + 1;
            this.trimTail(tail, p);
            if (entries.length < maxBatch) break;
          }
        }
      } while (again && !stopped);
    };
    const wake = (): void => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = drain()
        .then(
          () => undefined,
          (error: unknown) => {
            stopped = true;
            options.onError(error);
          },
        )
        .finally(() => {
          running = undefined;
          if (again) wake();
        });
    };
    const listeners = this.listeners.get(topic)!;
    listeners.add(wake);
    wake();
    return {
      ready: Promise.resolve(),
      stop: async () => {
        stopped = true;
        listeners.delete(wake);
        await running;
        tail.cursors.delete(cursor);
        if (tail.cursors.size === 0) this.dropTail(tail);
      },
    };
  }

  async close(): Promise<void> {
    await this.root.flushed;
    await this.root.close();
  }

  private db(topic: TopicName): Database<unknown, Key> {
    return this.dbs.get(topic)!;
  }
}

/** Records a stored value holds: a run (array) or one record. */
function runLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 1;
}
