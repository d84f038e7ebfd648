/**
 * The checkpoint file (typed arrays written straight from the state after a small header) and
 * the memory store's checkpoints taken in slices, events held meanwhile.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serialize } from 'node:v8';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import type { LoggedEvent } from '../../events/logged.ts';
import type { LogEntry } from '../../log/event-log.ts';
import { decodeCheckpoint, encodeCheckpoint, runInSlices, writeAtomically, type Steps } from './checkpoint-file.ts';
import { MemoryFeatureStore } from './memory-store.ts';

const tempDir = tempDirs('sessionwise-checkpoint-');

const concat = (chunks: Uint8Array[]): Buffer => Buffer.concat(chunks);

describe('checkpoint file', () => {
  it('gives back every kind of typed array, views of larger buffers, Maps and plain data', () => {
    const pool = new Int32Array(100).map((_, i) => i);
    const value = {
      ints: new Int32Array([1, -2, 3]),
      view: pool.subarray(10, 13),
      bytes: new Uint8Array([255, 0, 7]),
      doubles: new Float64Array([1.5, NaN, -0]),
      floats: new Float32Array([0.25]),
      words: new Uint32Array([4_000_000_000]),
      shorts: new Int16Array([-5]),
      big: new BigInt64Array([-(2n ** 62n)]),
      empty: new Float64Array(0),
      nested: [{ name: 'sofa', counts: new Int8Array([1, 2]) }],
      users: new Map([[7, { purchases: [1, 2, 3] }]]),
      text: 'naïve ☕',
    };
    assert.deepEqual(decodeCheckpoint(concat(encodeCheckpoint(value))), value);
  });

  it('copies the arrays out of the file: the state read back shares nothing with the file buffer', () => {
    const bytes = concat(encodeCheckpoint({ a: new Int32Array([1, 2]) }));
    const read = decodeCheckpoint(bytes) as { a: Int32Array };
    bytes.fill(0);
    assert.deepEqual(read.a, new Int32Array([1, 2]));
  });

  it('reads the files written before, one v8.serialize of the whole', () => {
    const value = { format: 'sessionwise-checkpoint-1', counts: new Int32Array([3, 4]) };
    assert.deepEqual(decodeCheckpoint(serialize(value)), value);
  });

  it('rejects a truncated file and a host object it cannot write, with the reason', () => {
    const bytes = concat(encodeCheckpoint({ a: new Float64Array(1000) }));
    assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8)), /truncated array section/);
    assert.throws(() => encodeCheckpoint({ v: new DataView(new ArrayBuffer(4)) }), /cannot encode DataView/);
  });

  it('writes every chunk, however many (a single writev takes at most 1,024), and says when they are written', async () => {
    const dir = tempDir();
    const chunks = Array.from({ length: 3000 }, (_, i) => new Uint8Array([i & 255, (i >> 8) & 255]));
    let written = false;
    await writeAtomically(dir, chunks, () => (written = true));
    assert.ok(written);
    assert.deepEqual(readFileSync(join(dir, 'checkpoint.bin')), Buffer.concat(chunks));
  });
});

describe('runInSlices', () => {
  it('gives the event loop a turn between slices', async () => {
    function* steps(): Steps<number> {
      for (let i = 0; i < 5; i++) yield;
      return 42;
    }
    let ranBetween = false;
    setImmediate(() => (ranBetween = true));
    assert.equal(await runInSlices(steps(), 0), 42);
    assert.ok(ranBetween, 'a callback queued before ran while the steps did');
  });
});

const STREAM = { partitions: 1, sessionGapMs: 30 * 60_000, allowedLatenessMs: 2 * 60_000 };
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

function views(from: number, to: number): LogEntry<LoggedEvent>[] {
  return Array.from({ length: to - from }, (_, k) => {
    const offset = from + k;
    const time = T0 + offset * 1000;
    const event = { type: 'product_view', id: `e${offset}`, ts: time, anonymousId: `d${offset % 3}`, sessionId: `s${offset % 3}`, itemId: `item-${offset % 7}` };
    return { partition: 0, offset, value: { event, time, receivedAt: time } as unknown as LoggedEvent };
  });
}

describe('memory store checkpoints', () => {
  it('hold the events that arrive while one is taken, so the file is the state of one instant', async () => {
    const dir = tempDir();
    const store = new MemoryFeatureStore({ dir, stream: STREAM });
    await store.applyBatch(0, views(0, 10));
    const taking = store.checkpoint();
    const applying = store.applyBatch(0, views(10, 20));
    await Promise.all([taking, applying]);
    assert.equal(store.state.counters.applied, 20, 'the held events are applied after it');
    const restored = new MemoryFeatureStore({ dir, stream: STREAM });
    assert.deepEqual(await restored.positions(), [10]);
    assert.equal(restored.state.counters.applied, 10);
    assert.deepEqual(restored.state.sessionView({ sessionId: 's1' })?.recentItems, store.state.sessionView({ sessionId: 's1' })?.recentItems.slice(-3));
  });

  it('let the held events through when the file cannot be written, and report why', async () => {
    const dir = tempDir();
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const store = new MemoryFeatureStore({ dir: join(notADir, 'state'), stream: STREAM });
    const taking = store.checkpoint();
    const applying = store.applyBatch(0, views(0, 5));
    await assert.rejects(taking, /ENOTDIR|EEXIST/);
    await applying;
    assert.equal(store.state.counters.applied, 5);
  });
});
