/**
 * Loads the optional Kafka client (@confluentinc/kafka-javascript, librdkafka inside) on demand,
 * so that the embedded default installs and runs where the client is absent.
 */
import type * as RdKafka from '@confluentinc/kafka-javascript';

export type KafkaClient = typeof RdKafka;

export async function loadKafkaClient(): Promise<KafkaClient> {
  try {
    // A CommonJS package: its exports arrive as the default export.
    return ((await import('@confluentinc/kafka-javascript')) as unknown as { default: KafkaClient }).default;
  } catch (error) {
    throw new Error(
      'EVENT_LOG=kafka://... needs the optional Kafka client @confluentinc/kafka-javascript, which is not installed ' +
        `(${(error as Error).message.split('\n')[0]}). Install Debian's build packages (README, "Kafka and Redis"), ` +
        'then run: CKJS_LINKING=dynamic npm install @confluentinc/kafka-javascript',
    );
  }
}
