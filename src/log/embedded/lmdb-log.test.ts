import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { partitionFor, type LogBatch } from '../event-log.ts';
import { LmdbEventLog } from './lmdb-log.ts';

const dirs: string[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lmdb-log-test-'));
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

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
});
