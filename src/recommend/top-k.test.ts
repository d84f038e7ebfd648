import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScoreBoard } from './top-k.ts';

describe('ScoreBoard', () => {
  it('returns the k best accumulated scores in order, skipping rejected items', () => {
    const b = new ScoreBoard();
    const scores = new Map<number, number>();
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const item = seed % 3000;
      const s = (seed % 1000) / 1000 + 0.001;
      b.add(item, s);
      scores.set(item, (scores.get(item) ?? 0) + s);
    }
    const accept = (item: number) => item % 5 !== 0;
    const expected = [...scores].filter(([i]) => accept(i)).sort((x, y) => y[1] - x[1]).slice(0, 20);
    const got = b.takeTop(20, accept);
    assert.deepEqual(Array.from(got.items), expected.map(([i]) => i));
    assert.deepEqual(Array.from(got.scores), expected.map(([, score]) => score));
    assert.equal(b.get(expected[0]![0]), 0, 'the board is cleared for the next request');
    assert.equal(b.takeTop(5, () => true).items.length, 0);
  });

  it('breaks ties by the order ids were first added, in the list and at the cut', () => {
    const b = new ScoreBoard();
    const added = [9, 4, 7, 1, 8, 2, 6, 3, 5];
    for (const item of added) b.add(item, item % 3 === 0 ? 2 : 1);
    // Score 2: 9, 6, 3 in the order added; then score 1 in the order added, cut at five.
    assert.deepEqual(Array.from(b.takeTop(5, () => true).items), [9, 6, 3, 4, 7]);
    for (let item = 0; item < 200; item++) b.add(item, 1);
    assert.deepEqual(Array.from(b.takeTop(100, () => true).items), Array.from({ length: 100 }, (_, i) => i));
  });

  it('keeps the order of a stable sort when most scores tie, for any k', () => {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (const k of [1, 7, 64, 100, 999, 1000, 2000]) {
      const b = new ScoreBoard();
      const firstAdded: number[] = [];
      const scores = new Map<number, number>();
      for (let i = 0; i < 1500; i++) {
        const item = next() % 1000;
        const s = 1 + (next() % 3);
        if (!scores.has(item)) firstAdded.push(item);
        scores.set(item, (scores.get(item) ?? 0) + s);
        b.add(item, s);
      }
      // Array.prototype.sort is stable: equal scores keep the order of first adds.
      const expected = firstAdded.sort((x, y) => scores.get(y)! - scores.get(x)!).slice(0, k);
      assert.deepEqual(Array.from(b.takeTop(k, () => true).items), expected, `k = ${k}`);
    }
  });

  it('counts the adds that make each score, and forgets them with the board', () => {
    const b = new ScoreBoard();
    for (let i = 0; i < 3; i++) b.add(7, 0.5);
    b.add(8, 1);
    b.add(9, 0); // ignored: not a positive score
    assert.deepEqual([b.addsTo(7), b.addsTo(8), b.addsTo(9)], [3, 1, 0]);
    b.clear();
    assert.equal(b.addsTo(7), 0);
  });

  it('adds another board scaled, its ids in the order that board first gave them', () => {
    const knn = new ScoreBoard();
    for (const [item, score] of [[5, 2], [3, 1], [5, 2], [9, 1], [2000, 0.5]] as const) knn.add(item, score);
    const blended = new ScoreBoard();
    blended.add(8, 2);
    blended.addAll(knn, 0.5);
    assert.deepEqual([5, 3, 9, 2000, 8].map((item) => blended.get(item)), [2, 0.5, 0.5, 0.25, 2]);
    assert.equal(blended.addsTo(5), 1, 'one add here, whatever made the score there');
    // Ties: 8 was added before 5; 3 before 9, as on the knn board.
    assert.deepEqual(Array.from(blended.takeTop(5, () => true).items), [8, 5, 3, 9, 2000]);
    assert.equal(knn.get(5), 4, 'the source board is left as it was');
  });

  it('grows past its initial size', () => {
    const b = new ScoreBoard();
    b.add(100_000, 2);
    b.add(3, 1);
    const top = b.takeTop(5, () => true);
    assert.deepEqual([Array.from(top.items), Array.from(top.scores)], [[100_000, 3], [2, 1]]);
  });
});
