import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { distributedUnavailable, startKafka, type KafkaService } from '../../../test/support/services.ts';
import { partitionFor, type LogBatch } from '../event-log.ts';
import { KafkaEventLog } from './kafka-log.ts';

const PARTITIONS = 4;
const unavailable = await distributedUnavailable();

describe('Kafka event log (against librdkafka’s mock cluster)', { skip: unavailable }, () => {
  let kafka: KafkaService;
  let log: KafkaEventLog;
  before(async () => {
    kafka = await startKafka({ partitions: PARTITIONS });
    log = await KafkaEventLog.open({ brokers: kafka.brokers, partitions: PARTITIONS, groupId: 'test', sessionTimeoutMs: 3000 });
  });
  after(async () => {
    await log?.close();
    await kafka?.stop();
  });

  it('puts each key on the partition partitionFor picks, with consecutive offsets, and reads them back', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const positions = await log.append('events', keys.map((key, i) => ({ key, value: { i, key } })));
    const perPartition = new Map<number, number[]>();
    positions.forEach((pos, i) => {
      assert.equal(pos.partition, partitionFor(keys[i]!, PARTITIONS));
      perPartition.set(pos.partition, [...(perPartition.get(pos.partition) ?? []), pos.offset]);
    });
    for (const offsets of perPartition.values()) assert.deepEqual(offsets, offsets.map((_, j) => j), 'offsets count up from 0 in append order');
    const ends = await log.endOffsets('events');
    for (let p = 0; p < PARTITIONS; p++) assert.equal(ends[p], perPartition.get(p)?.length ?? 0);
    const p0 = partitionFor(keys[0]!, PARTITIONS);
    const read = await log.read<{ i: number; key: string }>('events', p0, 1, 100);
    assert.deepEqual(
      read.map((e) => e.value.key),
      keys.filter((k) => partitionFor(k, PARTITIONS) === p0).slice(1),
    );
    assert.deepEqual(await log.read('events', p0, ends[p0]!, 10), []);
  });

  it('consumes every partition from the positions it is given, in offset order', async () => {
    const ends = await log.endOffsets('events');
    const from = (p: number) => Math.min(1, ends[p]!);
    const seen = new Map<number, number[]>();
    const expected = ends.reduce((sum, end, p) => sum + end - from(p), 0);
    let count = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const consumer = log.consume<{ i: number }>('events', {
      from,
      onBatch: ({ partition, entries }: LogBatch<{ i: number }>) => {
        seen.set(partition, [...(seen.get(partition) ?? []), ...entries.map((e) => e.offset)]);
        count += entries.length;
        if (count === expected) done();
      },
      onError: (error) => assert.fail(String(error)),
    });
    await finished;
    await consumer.stop();
    for (let p = 0; p < PARTITIONS; p++) {
      assert.deepEqual(seen.get(p) ?? [], Array.from({ length: ends[p]! - from(p) }, (_, j) => from(p) + j));
    }
  });

  it('refuses topics whose partition count differs from the configuration', async () => {
    await assert.rejects(KafkaEventLog.open({ brokers: kafka.brokers, partitions: PARTITIONS + 1, groupId: 'test' }), /has 4 partitions, configuration asks for 5/);
  });

  it('fails an append that cannot reach the broker within the delivery timeout', async () => {
    const impatient = await KafkaEventLog.open({ brokers: kafka.brokers, partitions: PARTITIONS, groupId: 'test', deliveryTimeoutMs: 1000 });
    try {
      await kafka.down();
      await assert.rejects(impatient.append('events', [{ key: 'k', value: 1 }]), /kafka/);
    } finally {
      await kafka.up();
      await impatient.close();
    }
  });
});
