/**
 * The EventLog port. The collector appends, the processor consumes from the position stored with
 * its state. Embedded (LMDB) and Kafka are two adapters of this one interface.
 */

/** events: accepted events, keyed by partition key; invalid: rejected payloads with reasons; late: events past the watermark. */
export type TopicName = 'events' | 'invalid' | 'late';
export const TOPICS: readonly TopicName[] = ['events', 'invalid', 'late'];

export interface LogRecord<T> {
  /** Partition key: the user id when known, else the device (anonymous) id. */
  key: string;
  value: T;
}

export interface LogEntry<T> {
  partition: number;
  offset: number;
  value: T;
}

/** Where a record landed. */
export interface LogPosition {
  partition: number;
  offset: number;
}

/** Next offset to read, indexed by partition. */
export type Positions = number[];

export interface LogBatch<T> {
  topic: TopicName;
  partition: number;
  entries: LogEntry<T>[];
}

export interface ConsumeOptions<T> {
  /** The next offset to deliver for a partition (read from the state store, not the log). */
  from: (partition: number) => number;
  /** Called with consecutive entries of one partition; the next batch of that partition waits for it. */
  onBatch: (batch: LogBatch<T>) => Promise<void> | void;
  /** A failed onBatch stops the consumer; the state store still holds the last good position. */
  onError: (error: unknown) => void;
  /** Told which partitions this consumer was just given (a log shared by a consumer group); the embedded log owns all from the start. */
  onAssign?: (partitions: number[]) => void;
  maxBatch?: number;
}

export interface LogConsumer {
  /** Resolves once the consumer holds its partitions (a group consumer: after its first rebalance). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface EventLog {
  readonly partitions: number;
  /** Appends durably: when the promise resolves, the records survive a kill -9 (and a power loss where the disk honours fsync). */
  append<T>(topic: TopicName, records: LogRecord<T>[]): Promise<LogPosition[]>;
  /** Reads up to `limit` entries of one partition from `from` on. */
  read<T>(topic: TopicName, partition: number, from: number, limit: number): Promise<LogEntry<T>[]>;
  /** Next offset that would be written, per partition. */
  endOffsets(topic: TopicName): Promise<Positions>;
  consume<T>(topic: TopicName, options: ConsumeOptions<T>): LogConsumer;
  close(): Promise<void>;
}

/** FNV-1a, 32 bit: the same key lands on the same partition in every adapter. */
export function partitionFor(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
