import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TurnBatch } from './turn-batch.ts';

/** Resolves after the check phase that runs a batch queued now. */
const afterBatch = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe('TurnBatch', () => {
  it('runs the work queued in one turn together, after that turn, in order, then what each left for after the batch', async () => {
    const failures: string[] = [];
    const batch = new TurnBatch<string>((error, name) => failures.push(`${name}: ${String(error)}`));
    const log: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      batch.run(() => {
        log.push(`work ${name}`);
        return name === 'b' ? undefined : () => log.push(`after ${name}`);
      }, name);
    }
    log.push('queued');
    await afterBatch();
    assert.deepEqual(log, ['queued', 'work a', 'work b', 'work c', 'after a', 'after c']);
    assert.deepEqual(failures, []);
  });

  it('hands each throw to the failure handler with its own context; the rest of the batch still runs', async () => {
    const failures: string[] = [];
    const batch = new TurnBatch<string>((error, name) => failures.push(`${name}: ${(error as Error).message}`));
    const done: string[] = [];
    batch.run(() => {
      throw new Error('no list');
    }, 'work throws');
    batch.run(
      () => () => {
        throw new Error('no socket');
      },
      'after throws',
    );
    batch.run(() => () => done.push('fine'), 'fine');
    await afterBatch();
    assert.deepEqual(failures, ['work throws: no list', 'after throws: no socket']);
    assert.deepEqual(done, ['fine']);
  });

  it('runs at most maxBatch works a turn, the rest in the next turns ahead of work queued later', async () => {
    const batch = new TurnBatch<number>(() => assert.fail('nothing throws'), 2);
    const log: string[] = [];
    const queue = (n: number): void =>
      batch.run(() => {
        log.push(`work ${n}`);
        // Queued while the first batch runs: behind the works it left for later.
        if (n === 1) queue(6);
        return () => log.push(`after ${n}`);
      }, n);
    for (const n of [1, 2, 3, 4, 5]) queue(n);
    for (let turn = 0; turn < 4; turn++) await afterBatch();
    // Each batch's answers go out once its own works are done, not after every queued one.
    assert.deepEqual(log, ['work 1', 'work 2', 'after 1', 'after 2', 'work 3', 'work 4', 'after 3', 'after 4', 'work 5', 'work 6', 'after 5', 'after 6']);
  });

  it('queues work started from inside a batch into the next one', async () => {
    const batch = new TurnBatch<string>(() => assert.fail('nothing throws'));
    const order: string[] = [];
    batch.run(() => {
      order.push('outer');
      batch.run(() => void order.push('inner'), 'inner');
      order.push('outer queued inner');
      return () => order.push('after outer');
    }, 'outer');
    await afterBatch();
    await afterBatch();
    assert.deepEqual(order, ['outer', 'outer queued inner', 'after outer', 'inner']);
  });
});
