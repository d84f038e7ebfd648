import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { open } from 'lmdb';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import { partitionFor, type LogBatch } from '../event-log.ts';
import { LmdbEventLog } from './lmdb-log.ts';

const dir = tempDirs('lmdb-log-test-');

describe('LmdbEventLog', () => {
  it('assigns consecutive offsets per partition by key and reads them back in order', async () => {
    const log = new LmdbEventLog({ dir: dir(), partitions: 4 });
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `user-${i % 7}`, value: { n: i } }));
    const positions = await log.append('events', records);
    positions.forEach((pos, i) => assert.equal(pos.partition, partitionFor(records[i]!.key, 4)));
    const perPartition = new Map<number, number[]>();
    for (let p = 0; p < 4; p++) perPartition.set(p, (await log.read<{ n: number }>('events', p, 0, 100)).map((e) => e.value.n));
    for (const [p, values] of perPartition) {
      assert.deepEqual(values, records.map((r, i) => (partitionFor(r.key, 4) === p ? i : -1)).filter((i) => i >= 0));
    }
    assert.equal((await log.endOffsets('events')).reduce((a, b) => a + b, 0), 40);
    await log.close();
  });

  it('keeps appended records and offsets across a reopen', async () => {
    const d = dir();
    const log = new LmdbEventLog({ dir: d, partitions: 2 });
    await log.append('events', [{ key: 'a', value: 1 }, { key: 'a', value: 2 }]);
    await log.close();
    const reopened = new LmdbEventLog({ dir: d, partitions: 2 });
    const [pos] = await reopened.append('events', [{ key: 'a', value: 3 }]);
    assert.equal(pos!.offset, 2);
    assert.deepEqual((await reopened.read('events', pos!.partition, 0, 10)).map((e) => e.value), [1, 2, 3]);
    await reopened.close();
  });

  it('refuses to reopen with a different partition count', async () => {
    const d = dir();
    await new LmdbEventLog({ dir: d, partitions: 2 }).close();
    assert.throws(() => new LmdbEventLog({ dir: d, partitions: 3 }), /has 2 partitions/);
  });

  it('delivers from a given position, then new appends, one partition batch at a time', async () => {
    const log = new LmdbEventLog({ dir: dir(), partitions: 1 });
    await log.append('events', [1, 2, 3].map((v) => ({ key: 'k', value: v })));
    const seen: number[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const consumer = log.consume<number>('events', {
      from: () => 1,
      onBatch: (batch: LogBatch<number>) => {
        for (const e of batch.entries) seen.push(e.value);
        if (seen.length === 4) resolveDone();
      },
      onError: (e) => assert.fail(String(e)),
    });
    await log.append('events', [{ key: 'k', value: 4 }, { key: 'k', value: 5 }].slice(0, 2));
    await done;
    await consumer.stop();
    assert.deepEqual(seen.slice(0, 4), [2, 3, 4, 5]);
    await log.close();
  });

  it('stops the consumer and reports when a batch fails', async () => {
    const log = new LmdbEventLog({ dir: dir(), partitions: 1 });
    await log.append('events', [{ key: 'k', value: 1 }]);
    const error = await new Promise<unknown>((resolve) => {
      log.consume('events', { from: () => 0, onBatch: () => Promise.reject(new Error('boom')), onError: resolve });
    });
    assert.match(String(error), /boom/);
    await log.close();
  });

  it('stores the records of one append and partition as one run, and reads any offset inside it', async () => {
    const d = dir();
    const log = new LmdbEventLog({ dir: d, partitions: 1 });
    await log.append('events', Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: { n: i } })));
    await log.append('events', [{ key: 'k', value: { n: 10 } }]);
    assert.deepEqual((await log.read<{ n: number }>('events', 0, 3, 4)).map((e) => [e.offset, e.value.n]), [[3, 3], [4, 4], [5, 5], [6, 6]]);
    assert.deepEqual((await log.read<{ n: number }>('events', 0, 8, 100)).map((e) => e.offset), [8, 9, 10]);
    await log.close();
    const reopened = new LmdbEventLog({ dir: d, partitions: 1 });
    assert.deepEqual(await reopened.endOffsets('events'), [11]);
    const [pos] = await reopened.append('events', [{ key: 'k', value: { n: 11 } }]);
    assert.equal(pos!.offset, 11);
    await reopened.close();
  });

  it('reads logs written one record per key, as before runs, and appends after them', async () => {
    const d = dir();
    await new LmdbEventLog({ dir: d, partitions: 1 }).close();
    const root = open({ path: join(d, 'log.lmdb'), maxDbs: 8 });
    const db = root.openDB<unknown, [number, number]>({ name: 'events', encoding: 'msgpack', sharedStructuresKey: Symbol.for('structures') });
    for (let i = 0; i < 3; i++) await db.put([0, i], { n: i });
    await root.close();
    const log = new LmdbEventLog({ dir: d, partitions: 1 });
    assert.deepEqual(await log.endOffsets('events'), [3]);
    await log.append('events', [{ key: 'k', value: { n: 3 } }, { key: 'k', value: { n: 4 } }]);
    assert.deepEqual((await log.read<{ n: number }>('events', 0, 1, 10)).map((e) => [e.offset, e.value.n]), [[1, 1], [2, 2], [3, 3], [4, 4]]);
    await log.close();
  });

  it('delivers appended records to a consumer from memory exactly as the log holds them', async () => {
    const log = new LmdbEventLog({ dir: dir(), partitions: 3 });
    await log.append('events', [{ key: 'a', value: { n: -1 } }]);
    const seen: Array<[number, number, number]> = [];
    const consumer = log.consume<{ n: number }>('events', { from: () => 0, onBatch: ({ entries }) => void entries.forEach((e) => seen.push([e.partition, e.offset, e.value.n])), onError: (e) => assert.fail(String(e)) });
    let n = 0;
    for (let batch = 0; batch < 20; batch++) await log.append('events', Array.from({ length: 7 }, () => ({ key: `k${n % 5}`, value: { n: n++ } })));
    const stored: Array<[number, number, number]> = [];
    for (let p = 0; p < 3; p++) for (const e of await log.read<{ n: number }>('events', p, 0, 1000)) stored.push([p, e.offset, e.value.n]);
    while (seen.length < stored.length) await new Promise((r) => setTimeout(r, 5));
    await consumer.stop();
    const order = (a: [number, number, number], b: [number, number, number]) => a[0] - b[0] || a[1] - b[1];
    assert.equal(stored.length, 141);
    assert.deepEqual(seen.sort(order), stored.sort(order));
    await log.close();
  });

  it('refuses array values, which would read back as runs', async () => {
    const log = new LmdbEventLog({ dir: dir(), partitions: 1 });
    await assert.rejects(log.append('events', [{ key: 'k', value: [1, 2] }]), /must not be arrays/);
    await log.close();
  });
});
