import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../prng.ts';
import { Covisitation } from './covisitation.ts';

function entries(c: Covisitation, item: number): Map<number, number> {
  const out = new Map<number, number>();
  c.neighbours(item)?.forEach((w, other) => out.set(other, w));
  return out;
}

function sum(weights: Iterable<number>): number {
  let total = 0;
  for (const w of weights) total += w;
  return total;
}

describe('Covisitation', () => {
  it('weighs the three previous items, forwards 12/d and backwards 6/d', () => {
    const c = new Covisitation();
    c.observe(4, [3, 2, 1, 0]);
    assert.deepEqual(entries(c, 3), new Map([[4, 12]]));
    assert.deepEqual(entries(c, 1), new Map([[4, 4]]));
    assert.equal(c.neighbours(0), undefined, 'beyond the window');
    assert.deepEqual(entries(c, 4), new Map([[3, 6], [2, 3], [1, 2]]));
    c.observe(4, [3]);
    assert.equal(c.neighbours(3)!.get(4), 24);
    assert.equal(c.neighbours(3)!.get(99), undefined);
  });

  it('matches a plain map of sums over random sessions, across table growth', () => {
    const random = mulberry32(9);
    const c = new Covisitation();
    const expected = new Map<number, Map<number, number>>();
    const bump = (from: number, to: number, w: number) => {
      const m = expected.get(from) ?? new Map<number, number>();
      expected.set(from, m.set(to, (m.get(to) ?? 0) + w));
    };
    for (let s = 0; s < 2000; s++) {
      const previous: number[] = [];
      for (let j = 0; j < 6; j++) {
        const item = Math.floor(random() * 150);
        let distance = 0;
        for (const p of previous) {
          if (p === item) continue;
          if (++distance > 3) break;
          bump(p, item, Math.round(12 / distance));
          bump(item, p, Math.round(6 / distance));
        }
        c.observe(item, previous);
        previous.unshift(item);
      }
    }
    for (const [item, m] of expected) {
      assert.ok(m.size < 200, 'no pruning in this test');
      assert.deepEqual(entries(c, item), m);
      assert.equal(c.neighbours(item)!.size, m.size);
      assert.equal(c.neighbours(item)!.strongest, Math.max(...m.values()));
      assert.equal(c.neighbours(item)!.total, sum(m.values()));
    }
    const restored = Covisitation.restore(structuredClone(c.snapshot()));
    for (const [item, m] of expected) {
      assert.equal(restored.neighbours(item)!.strongest, Math.max(...m.values()));
      assert.equal(restored.neighbours(item)!.total, sum(m.values()));
    }
  });

  it('keeps at most twice 100 neighbours, and the strongest survive pruning', () => {
    const c = new Covisitation();
    for (let other = 1; other <= 5000; other++) {
      c.observe(other, [0]);
      if (other % 10 === 0) c.observe(7, [0]);
      assert.ok(c.neighbours(0)!.size < 200);
    }
    assert.ok(c.neighbours(0)!.get(7)! >= 500 * 12, 'the repeated pair outlives every prune');
    assert.equal(c.neighbours(0)!.total, sum(entries(c, 0).values()), 'the total is of the weights kept');
  });

  it('restores from its snapshot and from the Map-per-item checkpoints written before', () => {
    const c = new Covisitation();
    c.observe(2, [1, 0]);
    const copy = Covisitation.restore(structuredClone(c.snapshot()));
    assert.deepEqual(entries(copy, 1), entries(c, 1));
    const legacy = Covisitation.restore(new Map([[1, new Map([[2, 12], [0, 6]])]]));
    assert.deepEqual(entries(legacy, 1), new Map([[2, 12], [0, 6]]));
  });
});
