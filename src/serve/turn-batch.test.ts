import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TurnBatch } from './turn-batch.ts';

describe('TurnBatch', () => {
  it('starts the work queued in one turn together, after that turn, in order', async () => {
    const batch = new TurnBatch();
    const log: string[] = [];
    const work = (name: string) => async () => {
      log.push(`start ${name}`);
      await Promise.resolve();
      log.push(`end ${name}`);
      return name;
    };
    const results = Promise.all([batch.run(work('a')), batch.run(work('b')), batch.run(work('c'))]);
    log.push('queued');
    assert.deepEqual(await results, ['a', 'b', 'c']);
    // Nothing ran while the turn queued; then every start came before any end.
    assert.deepEqual(log, ['queued', 'start a', 'start b', 'start c', 'end a', 'end b', 'end c']);
  });

  it('settles each run as its own work does', async () => {
    const batch = new TurnBatch();
    const failed = batch.run(async () => {
      throw new Error('no list');
    });
    const thrown = batch.run((): Promise<number> => {
      throw new Error('not even a promise');
    });
    const fine = batch.run(async () => 7);
    await assert.rejects(failed, /no list/);
    await assert.rejects(thrown, /not even a promise/);
    assert.equal(await fine, 7);
  });

  it('queues work started from inside a batch into the next one', async () => {
    const batch = new TurnBatch();
    const order: string[] = [];
    const outer = batch.run(async () => {
      order.push('outer');
      const inner = batch.run(async () => {
        order.push('inner');
      });
      order.push('outer queued inner');
      await inner;
    });
    await outer;
    assert.deepEqual(order, ['outer', 'outer queued inner', 'inner']);
  });
});
