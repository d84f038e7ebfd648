/**
 * Embedded EventLog on LMDB. Why LMDB over SQLite: see BENCHMARKS.md ("event log store").
 *
 * One LMDB environment in DATA_DIR/log; one database per topic, keyed by [partition, offset].
 * Writes issued in the same event turn share one transaction (lmdb-js event-turn batching), so a
 * burst of requests costs one commit and one fsync: group commit. append() resolves only after
 * the commit is flushed to disk.
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
        for (const key of db.getKeys({ start: [p, Number.MAX_SAFE_INTEGER], end: [p, -1], reverse: true, limit: 1 })) end = (key as Key)[1] + 1;
        ends.push(end);
      }
      this.next.set(topic, ends);
    }
  }

  async append<T>(topic: TopicName, records: LogRecord<T>[]): Promise<LogPosition[]> {
    if (records.length === 0) return [];
    const db = this.db(topic);
    const ends = this.next.get(topic)!;
    const positions: LogPosition[] = new Array(records.length);
    let last: Promise<boolean> | undefined;
    // Offsets are assigned in call order; LMDB commits puts in the order they were issued.
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const partition = partitionFor(record.key, this.partitions);
      const offset = ends[partition]!++;
      positions[i] = { partition, offset };
      last = db.put([partition, offset], record.value);
    }
    await last;
    for (const listener of this.listeners.get(topic)!) listener();
    await this.root.flushed;
    return positions;
  }

  async read<T>(topic: TopicName, partition: number, from: number, limit: number): Promise<LogEntry<T>[]> {
    return this.readSync<T>(topic, partition, from, limit);
  }

  private readSync<T>(topic: TopicName, partition: number, from: number, limit: number): LogEntry<T>[] {
    const out: LogEntry<T>[] = [];
    for (const { key, value } of this.db(topic).getRange({ start: [partition, from], end: [partition, Number.MAX_SAFE_INTEGER], limit })) {
      out.push({ partition, offset: (key as Key)[1], value: value as T });
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
    let stopped = false;
    let running: Promise<void> | undefined;
    let again = false;

    const drain = async (): Promise<void> => {
      do {
        again = false;
        for (let p = 0; p < this.partitions && !stopped; p++) {
          while (!stopped) {
            const entries = this.readSync<T>(topic, p, cursor[p]!, maxBatch);
            if (entries.length === 0) break;
            await options.onBatch({ topic, partition: p, entries });
            cursor[p] = entries[entries.length - 1]!.offset + 1;
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
