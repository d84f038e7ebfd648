/**
 * Loads the optional Kafka client (@confluentinc/kafka-javascript, librdkafka inside) on demand,
 * so that the embedded default installs, builds and runs where the client is absent. The part of
 * its API the adapter uses is declared here rather than imported from the package's own types:
 * the build must not need an optional dependency.
 */

export interface KafkaError {
  message: string;
  code?: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}

export interface KafkaMessage {
  partition: number;
  offset: number;
  value: Buffer | null;
}

export interface DeliveryReport {
  partition: number;
  offset: number;
  opaque: unknown;
}

export interface KafkaMetadata {
  topics: Array<{ name: string; partitions: unknown[] }>;
}

export interface WatermarkOffsets {
  lowOffset: number;
  highOffset: number;
}

type Callback<T> = (error: KafkaError | null | undefined, value: T) => void;

interface KafkaClientBase {
  connect(options: { timeout: number }, done: (error: KafkaError | null | undefined) => void): void;
  isConnected(): boolean;
  disconnect(done: () => void): void;
  on(event: 'event.error', listener: (error: KafkaError) => void): void;
}

export interface KafkaProducer extends KafkaClientBase {
  on(event: 'delivery-report', listener: (error: KafkaError | null | undefined, report: DeliveryReport) => void): void;
  on(event: 'event.error', listener: (error: KafkaError) => void): void;
  setPollInBackground(enabled: boolean): void;
  getMetadata(options: { allTopics: boolean; timeout: number }, done: Callback<KafkaMetadata>): void;
  produce(topic: string, partition: number, value: Buffer, key: string, timestamp: null, opaque: unknown): void;
  queryWatermarkOffsets(topic: string, partition: number, timeoutMs: number, done: Callback<WatermarkOffsets>): void;
  flush(timeoutMs: number, done: () => void): void;
}

export type RebalanceCallback = (this: KafkaConsumer, error: KafkaError | undefined, assignment: TopicPartition[]) => void;

export interface KafkaConsumer extends KafkaClientBase {
  assign(assignment: TopicPartition[]): void;
  unassign(): void;
  subscribe(topics: string[]): void;
  commit(position: TopicPartition): void;
  consume(max: number, done: Callback<KafkaMessage[]>): void;
  setDefaultConsumeTimeout(timeoutMs: number): void;
}

export interface KafkaClient {
  Producer: new (config: Record<string, unknown>) => KafkaProducer;
  KafkaConsumer: new (config: Record<string, unknown>, topicConfig: Record<string, unknown>) => KafkaConsumer;
}

/** The package name in a variable: the compiler then resolves nothing at build time. */
const PACKAGE = '@confluentinc/kafka-javascript';

export async function loadKafkaClient(): Promise<KafkaClient> {
  try {
    // A CommonJS package: its exports arrive as the default export.
    return ((await import(PACKAGE)) as { default: KafkaClient }).default;
  } catch (error) {
    throw new Error(
      'EVENT_LOG=kafka://... needs the optional Kafka client @confluentinc/kafka-javascript, which is not installed ' +
        `(${(error as Error).message.split('\n')[0]}). Install Debian's build packages (README, "Kafka and Redis"), ` +
        'then run: CKJS_LINKING=dynamic npm install @confluentinc/kafka-javascript',
    );
  }
}
