/**
 * EventLog on Kafka, through @confluentinc/kafka-javascript (librdkafka). Topics `events`,
 * `invalid` and `late` must exist with the configured number of partitions (the adapter checks).
 *
 * - append: an idempotent producer (acks=all) writes each record to the partition partitionFor()
 *   picks, named explicitly, so a key lands on the same partition number as in the embedded log
 *   whatever the client's partitioner; the promise resolves once every record is acknowledged.
 * - consume: one consumer group per role; offsets start from the positions the state store holds
 *   (`from`), not from the group's committed offsets, so exactly-once comes from the store. The
 *   adapter still commits what it delivered, for lag monitoring only.
 * - read: a group-less reader assigned to one partition (invalid tail, state catch-up).
 */
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
import { loadKafkaClient, type KafkaClient, type KafkaConsumer, type KafkaMessage, type KafkaMetadata, type KafkaProducer, type RebalanceCallback, type WatermarkOffsets } from './client.ts';

const ERR_ASSIGN_PARTITIONS = -175;
const QUERY_TIMEOUT_MS = 5000;
const POLL_TIMEOUT_MS = 100;
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface KafkaLogOptions {
  /** Bootstrap list, host:port[,host:port...]. */
  brokers: string;
  partitions: number;
  /** Consumer group of this role: processors share one group and split the partitions. */
  groupId: string;
  clientId?: string;
  /** How long a record may wait for the broker before append fails (the collector then spools). */
  deliveryTimeoutMs?: number;
  /** How soon the group reassigns a dead member's partitions. */
  sessionTimeoutMs?: number;
}

/** Parses kafka://host:port[,host:port] into a bootstrap list. */
export function brokersFromUrl(url: string): string {
  const match = /^kafka:\/\/([^/?#]+)\/?$/.exec(url);
  if (!match) throw new Error(`EVENT_LOG: expected kafka://host:port[,host:port...], got ${url}`);
  return match[1]!;
}

interface Pending {
  resolve: (position: LogPosition) => void;
  reject: (error: Error) => void;
}

export class KafkaEventLog implements EventLog {
  readonly partitions: number;
  private reading: Promise<unknown> = Promise.resolve();
  private readonly consumers = new Set<LogConsumer>();

  private constructor(
    private readonly kafka: KafkaClient,
    private readonly producer: KafkaProducer,
    private readonly options: KafkaLogOptions,
  ) {
    this.partitions = options.partitions;
  }

  static async open(options: KafkaLogOptions): Promise<KafkaEventLog> {
    const kafka = await loadKafkaClient();
    const producer = new kafka.Producer({
      'bootstrap.servers': options.brokers,
      'client.id': options.clientId ?? 'sessionwise',
      'enable.idempotence': true,
      acks: -1,
      'linger.ms': 1,
      // Small produce requests are the latency path (accept -> acknowledge): no Nagle delay.
      'socket.nagle.disable': true,
      // Rejected bodies up to the HTTP read limit (8 MB) are kept whole in the invalid topic;
      // a real broker needs max.message.bytes raised on that topic to match (docker-compose.yml).
      'message.max.bytes': MAX_MESSAGE_BYTES,
      // Events are repetitive JSON: lz4 cuts broker disk and network several times over, cheaply.
      'compression.codec': 'lz4',
      'message.timeout.ms': options.deliveryTimeoutMs ?? 30_000,
      dr_cb: true,
    });
    producer.on('delivery-report', (error, report) => {
      const pending = report.opaque as Pending;
      if (error) pending.reject(new Error(`kafka: ${error.message}`));
      else pending.resolve({ partition: report.partition, offset: report.offset });
    });
    producer.on('event.error', () => {
      // Connection errors are retried by librdkafka; undelivered records fail their append.
    });
    await connect(producer);
    // Delivery reports arrive as librdkafka sends them, not on a polling timer: accept latency.
    producer.setPollInBackground(true);
    const log = new KafkaEventLog(kafka, producer, options);
    try {
      await log.checkTopics();
    } catch (error) {
      await disconnect(producer);
      throw error;
    }
    return log;
  }

  private async checkTopics(): Promise<void> {
    const metadata = await new Promise<KafkaMetadata>((resolve, reject) =>
      this.producer.getMetadata({ allTopics: true, timeout: QUERY_TIMEOUT_MS }, (error, data) => (error ? reject(new Error(`kafka metadata: ${error.message}`)) : resolve(data))),
    );
    for (const topic of TOPICS) {
      const found = metadata.topics.find((t) => t.name === topic);
      if (!found || found.partitions.length === 0) {
        throw new Error(`kafka: topic "${topic}" does not exist on ${this.options.brokers}; create events, invalid and late with ${this.partitions} partitions each`);
      }
      if (found.partitions.length !== this.partitions) {
        throw new Error(`kafka: topic "${topic}" has ${found.partitions.length} partitions, configuration asks for ${this.partitions}; keep PARTITIONS equal to the topics' partition count`);
      }
    }
  }

  async append<T>(topic: TopicName, records: LogRecord<T>[]): Promise<LogPosition[]> {
    const deliveries = records.map(
      (record) =>
        new Promise<LogPosition>((resolve, reject) => {
          const partition = partitionFor(record.key, this.partitions);
          try {
            this.producer.produce(topic, partition, Buffer.from(JSON.stringify(record.value)), record.key, null, { resolve, reject } satisfies Pending);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }),
    );
    return Promise.all(deliveries);
  }

  async read<T>(topic: TopicName, partition: number, from: number, limit: number): Promise<LogEntry<T>[]> {
    // One reader, one partition at a time.
    const run = this.reading.then(() => this.readNow<T>(topic, partition, from, limit));
    this.reading = run.catch(() => undefined);
    return run;
  }

  private async readNow<T>(topic: TopicName, partition: number, from: number, limit: number): Promise<LogEntry<T>[]> {
    const { highOffset } = await this.watermarks(topic, partition);
    const end = Math.min(highOffset, from + limit);
    if (from >= end) return [];
    // A consumer per read: one reused across reads would hand back messages queued for the last one.
    const reader = await this.newConsumer(`${this.options.groupId}-reader`, false);
    reader.assign([{ topic, partition, offset: from }]);
    const out: LogEntry<T>[] = [];
    try {
      const deadline = Date.now() + QUERY_TIMEOUT_MS * 2;
      while (out.length === 0 || out[out.length - 1]!.offset < end - 1) {
        if (Date.now() > deadline) throw new Error(`kafka: reading ${topic}[${partition}] from ${from} timed out`);
        for (const message of await poll(reader, Math.min(1000, end - from))) {
          if (message.offset >= from && message.offset < end) out.push(toEntry<T>(message));
        }
      }
    } finally {
      await disconnect(reader);
    }
    return out;
  }

  async endOffsets(topic: TopicName): Promise<Positions> {
    return Promise.all(Array.from({ length: this.partitions }, async (_, p) => (await this.watermarks(topic, p)).highOffset));
  }

  private watermarks(topic: TopicName, partition: number): Promise<WatermarkOffsets> {
    return new Promise((resolve, reject) =>
      this.producer.queryWatermarkOffsets(topic, partition, QUERY_TIMEOUT_MS, (error, offsets) => (error ? reject(new Error(`kafka offsets of ${topic}[${partition}]: ${error.message}`)) : resolve(offsets))),
    );
  }

  consume<T>(topic: TopicName, options: ConsumeOptions<T>): LogConsumer {
    const maxBatch = options.maxBatch ?? 1000;
    /** Next offset to deliver per assigned partition. */
    const cursors = new Map<number, number>();
    let stopped = false;
    let consumer: KafkaConsumer | undefined;
    let assigned!: () => void;
    const ready = new Promise<void>((resolve) => (assigned = resolve));

    const onRebalance: RebalanceCallback = function (error, assignment) {
      if (error?.code === ERR_ASSIGN_PARTITIONS) {
        cursors.clear();
        for (const tp of assignment) cursors.set(tp.partition, options.from(tp.partition));
        this.assign(assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: cursors.get(tp.partition)! })));
        options.onAssign?.(assignment.map((tp) => tp.partition));
        assigned();
      } else {
        cursors.clear();
        this.unassign();
      }
    };

    const loop = async (): Promise<void> => {
      consumer = await this.newConsumer(this.options.groupId, true, onRebalance);
      consumer.subscribe([topic]);
      while (!stopped) {
        const messages = await poll(consumer, maxBatch).catch(async () => {
          // Broker unreachable or the group rebalancing: librdkafka reconnects; poll again.
          await new Promise((resolve) => setTimeout(resolve, POLL_TIMEOUT_MS));
          return [];
        });
        const byPartition = new Map<number, LogEntry<T>[]>();
        for (const message of messages) {
          const next = cursors.get(message.partition);
          // Revoked meanwhile, or below the position the state store already holds.
          if (next === undefined || message.offset < next) continue;
          let entries = byPartition.get(message.partition);
          if (!entries) byPartition.set(message.partition, (entries = []));
          entries.push(toEntry<T>(message));
        }
        for (const [partition, entries] of byPartition) {
          if (stopped) break;
          await options.onBatch({ topic, partition, entries });
          const next = entries[entries.length - 1]!.offset + 1;
          if (cursors.has(partition)) cursors.set(partition, next);
          consumer.commit({ topic, partition, offset: next });
        }
      }
    };

    const running = loop().catch((error: unknown) => {
      if (!stopped) {
        stopped = true;
        options.onError(error);
      }
    });
    const handle: LogConsumer = {
      ready,
      stop: async () => {
        stopped = true;
        await running;
        this.consumers.delete(handle);
        if (consumer) await disconnect(consumer);
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  private async newConsumer(groupId: string, inGroup: boolean, rebalance?: RebalanceCallback): Promise<KafkaConsumer> {
    const consumer = new this.kafka.KafkaConsumer(
      {
        'bootstrap.servers': this.options.brokers,
        'client.id': this.options.clientId ?? 'sessionwise',
        'group.id': groupId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'session.timeout.ms': this.options.sessionTimeoutMs ?? 10_000,
        'heartbeat.interval.ms': Math.max(100, Math.floor((this.options.sessionTimeoutMs ?? 10_000) / 5)),
        'fetch.wait.max.ms': 10,
        'socket.nagle.disable': true,
        'fetch.message.max.bytes': MAX_MESSAGE_BYTES,
        'allow.auto.create.topics': false,
        ...(inGroup && rebalance ? { rebalance_cb: rebalance } : {}),
      },
      { 'auto.offset.reset': 'earliest' },
    );
    consumer.on('event.error', () => {
      // Broker connection errors are retried by librdkafka.
    });
    await connect(consumer);
    consumer.setDefaultConsumeTimeout(POLL_TIMEOUT_MS);
    // Return what has arrived as soon as the first message is there (typed only in later releases).
    (consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage(only: boolean): void }).setDefaultIsTimeoutOnlyForFirstMessage(true);
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.reading;
    await new Promise<void>((resolve) => this.producer.flush(QUERY_TIMEOUT_MS, () => resolve()));
    await disconnect(this.producer);
  }
}

function toEntry<T>(message: KafkaMessage): LogEntry<T> {
  return { partition: message.partition, offset: message.offset, value: JSON.parse(message.value!.toString()) as T };
}

function poll(consumer: KafkaConsumer, max: number): Promise<KafkaMessage[]> {
  return new Promise((resolve, reject) => consumer.consume(max, (error, messages) => (error ? reject(new Error(`kafka consume: ${error.message}`)) : resolve(messages))));
}

function connect(client: KafkaProducer | KafkaConsumer): Promise<void> {
  return new Promise((resolve, reject) => client.connect({ timeout: QUERY_TIMEOUT_MS }, (error) => (error ? reject(new Error(`kafka connect: ${error.message}`)) : resolve())));
}

function disconnect(client: KafkaProducer | KafkaConsumer): Promise<void> {
  return new Promise((resolve) => (client.isConnected() ? client.disconnect(() => resolve()) : resolve()));
}
