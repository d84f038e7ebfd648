import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SEQUENCE, SessionIndex } from './session-index.ts';

/** A session's items in click order, read as the recommender reads them. */
function sequence(index: SessionIndex, id: number): number[] {
  return Array.from({ length: index.length(id) }, (_, j) => index.itemAt(id, j));
}

/** The newest live sessions holding an item, newest first, as the recommender walks them. */
function recent(index: SessionIndex, item: number, limit = 10): number[] {
  return index
    .sessionsWith(item)
    .filter((id) => id >= index.oldestLive)
    .slice(-limit)
    .reverse();
}

describe('SessionIndex', () => {
  it('finds the most recent sessions holding an item, newest first', () => {
    const index = new SessionIndex(100, 10);
    for (let s = 0; s < 5; s++) {
      const id = index.open();
      index.append(id, 7);
      index.append(id, 100 + s);
      index.append(id, 7); // a re-visit is kept in the sequence but indexed once
    }
    assert.deepEqual(recent(index, 7), [4, 3, 2, 1, 0]);
    assert.deepEqual(recent(index, 7, 2), [4, 3]);
    assert.deepEqual(sequence(index, 2), [7, 102, 7]);
    assert.equal(index.sessionCount(7), 5);
  });

  it('ages out the oldest sessions when the ring is full', () => {
    const index = new SessionIndex(3, 10);
    for (let s = 0; s < 5; s++) index.append(index.open(), 1);
    assert.deepEqual(recent(index, 1), [4, 3, 2]);
    assert.deepEqual(sequence(index, 0), []);
    assert.equal(index.isLive(1), false);
    index.append(0, 9); // appending to an aged-out session is ignored
    assert.deepEqual(recent(index, 9), []);
  });

  it('keeps posting lists bounded', () => {
    const index = new SessionIndex(10_000, 50);
    for (let s = 0; s < 1000; s++) index.append(index.open(), 1);
    const ids = recent(index, 1, 1000);
    assert.ok(ids.length >= 50 && ids.length < 100, `${ids.length} ids kept`);
    assert.equal(ids[0], 999);
    assert.equal(index.sessionCount(1), 1000, 'the count for IDF is not trimmed');
  });
});

describe('SessionIndex long sessions', () => {
  it('keeps items past the inline block, and forgets them when the slot is reused', () => {
    const index = new SessionIndex(2, 10);
    const long = index.open();
    for (let i = 0; i < 20; i++) index.append(long, i);
    assert.deepEqual(sequence(index, long), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(index.itemAt(long, 15), 15);
    index.open();
    const reused = index.open(); // takes the long session's slot
    index.append(reused, 99);
    assert.deepEqual(sequence(index, reused), [99]);
    assert.deepEqual(sequence(index, long), []);
  });

  it('reads and copies sessions of every length as written, while the ring reuses slots and their tails', () => {
    const capacity = 5;
    const index = new SessionIndex(capacity, 1000);
    const written = new Map<number, number[]>();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let s = 0; s < 200; s++) {
      const id = index.open();
      const items = Array.from({ length: random(MAX_SEQUENCE + 10) }, () => random(50));
      for (const item of items) index.append(id, item);
      written.set(id, items.slice(0, MAX_SEQUENCE));
      // The live sessions, read one by one and copied together.
      const live = [...written.keys()].filter((n) => index.isLive(n));
      const ids = Int32Array.from(live);
      const into = new Int32Array(live.length * MAX_SEQUENCE);
      const lengths = new Int32Array(live.length);
      index.copySessions(ids, live.length, into, lengths);
      live.forEach((n, at) => {
        assert.deepEqual(sequence(index, n), written.get(n), `session ${n}`);
        assert.deepEqual(Array.from(into.subarray(at * MAX_SEQUENCE, at * MAX_SEQUENCE + lengths[at]!)), written.get(n), `copy of session ${n}`);
      });
    }
    const tails = index.snapshot().tails!;
    assert.ok(tails.length <= (capacity + 1) * (MAX_SEQUENCE - 7), `aged-out sessions give their tails back (${tails.length} values in the pool)`);
  });

  it('knows each item\'s newest session and counts the sessions since an id', () => {
    const index = new SessionIndex(100, 1000);
    for (let s = 0; s < 10; s++) {
      const id = index.open();
      index.append(id, s % 2 === 0 ? 1 : 2);
    }
    assert.equal(index.newestSession(1), 8);
    assert.equal(index.newestSession(2), 9);
    assert.equal(index.newestSession(3), -1);
    assert.equal(index.sessionsSince(1, 4), 3); // 4, 6, 8
    assert.equal(index.sessionsSince(1, 9), 0);
    assert.equal(index.sessionsSince(2, 0), 5);
    assert.equal(index.sessionsSince(3, 0), 0);
  });
});

describe('SessionIndex checkpoints', () => {
  it('restores sessions and postings from a serialized snapshot, and from the older one-array-per-item form', () => {
    const index = new SessionIndex(100, 50);
    for (let s = 0; s < 30; s++) {
      const id = index.open();
      for (let j = 0; j < 1 + (s % 12); j++) index.append(id, (s * 7 + j) % 40);
    }
    const snapshot = structuredClone(index.snapshot());
    const legacy = { ...snapshot, postingStart: undefined, postingIds: undefined, postings: Array.from({ length: 40 }, (_, item) => [...index.sessionsWith(item)]) };
    for (const copy of [SessionIndex.restore(snapshot), SessionIndex.restore(legacy)]) {
      assert.equal(copy.opened, index.opened);
      for (let item = 0; item < 40; item++) assert.deepEqual(copy.sessionsWith(item), index.sessionsWith(item));
      for (let id = 0; id < 30; id++) assert.deepEqual(sequence(copy, id), sequence(index, id));
    }
  });

  it('restores long sessions from the older form that kept their items past the row in a map', () => {
    const index = new SessionIndex(100, 50);
    const sessions = [5, 8, 9, 20, MAX_SEQUENCE].map((length, s) => Array.from({ length }, (_, j) => s * 100 + j));
    for (const items of sessions) {
      const id = index.open();
      for (const item of items) index.append(id, item);
    }
    // The older layout: eight items in each row, the rest by session id.
    const inline = new Int32Array(index.snapshot().inline.length);
    const overflow = new Map<number, number[]>();
    sessions.forEach((items, id) => {
      inline.set(items.slice(0, 8), id * 8);
      if (items.length > 8) overflow.set(id, items.slice(8));
    });
    const legacy = { ...structuredClone(index.snapshot()), inline, overflow, tails: undefined, freeTails: undefined };
    const copy = SessionIndex.restore(legacy);
    sessions.forEach((items, id) => assert.deepEqual(sequence(copy, id), items));
    const more = copy.open();
    for (let j = 0; j < 12; j++) copy.append(more, 1000 + j);
    assert.deepEqual(sequence(copy, more), Array.from({ length: 12 }, (_, j) => 1000 + j));
    sessions.forEach((items, id) => assert.deepEqual(sequence(copy, id), items, 'a new tail takes a free chunk'));
  });
});
