/**
 * The collector's log in the distributed deployment: appends go to the primary log (Kafka); when
 * it cannot take them (broker unreachable past the delivery timeout) they go to a local durable
 * spool (the embedded log) instead, and so does every append after them until the spool is
 * drained, so each partition's records reach the primary in the order they were accepted. A
 * background drain re-sends spooled records, partition by partition, oldest first, and records
 * how far it got in a small file, so a restarted collector resumes the drain.
 *
 * A record may reach the primary twice (sent, then spooled after a lost acknowledgement, or
 * re-sent after a crash before the drain position was saved): the processor's dedup by event id
 * applies it once. While records are spooled the collector's read-your-writes token cannot name
 * their offsets; appends answer offset -1 for them, which a token treats as already applied.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbEventLog } from './embedded/lmdb-log.ts';
import { TOPICS, type ConsumeOptions, type EventLog, type LogConsumer, type LogEntry, type LogPosition, type LogRecord, type Positions, type TopicName } from './event-log.ts';

const DRAIN_CHUNK = 500;
const RETRY_MS = 500;
const IDLE_PASS_MS = 5;

interface Spooled {
  key: string;
  value: unknown;
}

export interface SpoolingLogOptions {
  primary: EventLog;
  /** Folder of the spool (an embedded log) and its drain positions. */
  dir: string;
  onDrainError?: (error: unknown) => void;
}

export class SpoolingEventLog implements EventLog {
  readonly partitions: number;
  private readonly primary: EventLog;
  private readonly spool: LmdbEventLog;
  private readonly cursorFile: string;
  /** Next spool offset to send, per topic and partition. */
  private readonly drained: Record<TopicName, number[]>;
  private spooling = false;
  /** Appends that chose the spool, and those of them still being written: the drain stops only when a pass saw none. */
  private spoolWrites = 0;
  private spoolWritesInFlight = 0;
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SpoolingLogOptions) {
    this.primary = options.primary;
    this.partitions = options.primary.partitions;
    this.spool = new LmdbEventLog({ dir: options.dir, partitions: this.partitions });
    this.cursorFile = join(options.dir, 'drained.json');
    const saved = existsSync(this.cursorFile) ? (JSON.parse(readFileSync(this.cursorFile, 'utf8')) as Partial<Record<TopicName, number[]>>) : {};
    this.drained = Object.fromEntries(TOPICS.map((t) => [t, saved[t] ?? new Array<number>(this.partitions).fill(0)])) as Record<TopicName, number[]>;
  }

  /** Resumes draining what an earlier run spooled. */
  async open(): Promise<this> {
    if (await this.backlog()) this.startSpooling();
    return this;
  }

  /** Records spooled and not yet sent. */
  async backlog(): Promise<number> {
    let n = 0;
    for (const topic of TOPICS) {
      const ends = await this.spool.endOffsets(topic);
      ends.forEach((end, p) => (n += end - this.drained[topic][p]!));
    }
    return n;
  }

  get isSpooling(): boolean {
    return this.spooling;
  }

  async append<T>(topic: TopicName, records: LogRecord<T>[]): Promise<LogPosition[]> {
    if (records.length === 0) return [];
    if (!this.spooling) {
      try {
        return await this.primary.append(topic, records);
      } catch {
        this.startSpooling();
      }
    }
    this.spoolWrites++;
    this.spoolWritesInFlight++;
    try {
      const spooled = await this.spool.append<Spooled>(topic, records.map((r) => ({ key: r.key, value: { key: r.key, value: r.value } })));
      return spooled.map(({ partition }) => ({ partition, offset: -1 }));
    } finally {
      this.spoolWritesInFlight--;
    }
  }

  private startSpooling(): void {
    this.spooling = true;
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Sends the spool to the primary until it is empty, then lets appends go to the primary again. */
  private async drain(): Promise<void> {
    while (!this.closed) {
      let sent = 0;
      const writesBefore = this.spoolWrites;
      try {
        for (const topic of TOPICS) {
          for (let p = 0; p < this.partitions && !this.closed; p++) {
            const entries = await this.spool.read<Spooled>(topic, p, this.drained[topic][p]!, DRAIN_CHUNK);
            if (entries.length === 0) continue;
            await this.primary.append(topic, entries.map((e) => e.value));
            this.drained[topic][p] = entries[entries.length - 1]!.offset + 1;
            this.saveCursors();
            sent += entries.length;
          }
        }
      } catch (error) {
        this.options.onDrainError?.(error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      // A pass that sent nothing while no append chose the spool: it is empty, and the switch
      // happens in this turn of the event loop, before any other append.
      if (sent === 0 && this.spoolWrites === writesBefore && this.spoolWritesInFlight === 0) {
        this.spooling = false;
        return;
      }
      // Spool reads resolve without I/O: let the appends being spooled finish before the next pass.
      if (sent === 0) await new Promise((resolve) => setTimeout(resolve, IDLE_PASS_MS));
    }
  }

  private saveCursors(): void {
    const tmp = `${this.cursorFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.drained));
    renameSync(tmp, this.cursorFile);
  }

  read<T>(topic: TopicName, partition: number, from: number, limit: number): Promise<LogEntry<T>[]> {
    return this.primary.read<T>(topic, partition, from, limit);
  }

  endOffsets(topic: TopicName): Promise<Positions> {
    return this.primary.endOffsets(topic);
  }

  consume<T>(topic: TopicName, options: ConsumeOptions<T>): LogConsumer {
    return this.primary.consume<T>(topic, options);
  }

  /** Stops draining and closes the spool; the primary stays open (its owner closes it). */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
    await this.spool.close();
  }
}
