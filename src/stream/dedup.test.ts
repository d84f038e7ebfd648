import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupWindow } from './dedup.ts';

describe('DedupWindow', () => {
  it('reports a repeated id as a duplicate, a new id as new', () => {
    const d = new DedupWindow(1000);
    assert.equal(d.checkAndAdd('a', 10_000), false);
    assert.equal(d.checkAndAdd('b', 10_000), false);
    assert.equal(d.checkAndAdd('a', 10_500), true);
    assert.equal(d.checkAndAdd('a', 9_000), true, 'out of order repeat is still a duplicate');
  });

  it('forgets ids older than the expiry time and reuses their slots', () => {
    const d = new DedupWindow(1000, 16);
    d.checkAndAdd('old', 1_000);
    d.expireBefore(5_000);
    assert.equal(d.checkAndAdd('old', 6_000), false, 'expired id counts as new');
    assert.equal(d.checkAndAdd('old', 6_000), true);
  });

  it('holds many ids across growth and survives snapshot/restore', () => {
    const d = new DedupWindow(1000, 16);
    for (let i = 0; i < 50_000; i++) assert.equal(d.checkAndAdd(`id-${i}`, 1_000_000 + i), false);
    const restored = DedupWindow.restore(1000, structuredClone(d.snapshot()));
    for (let i = 0; i < 50_000; i += 97) assert.equal(restored.checkAndAdd(`id-${i}`, 1_000_000 + i), true, `id-${i}`);
    assert.equal(restored.checkAndAdd('id-new', 1_060_000), false);
  });

  it('keeps memory bounded when ids keep expiring', () => {
    const d = new DedupWindow(1000, 1024);
    for (let i = 0; i < 200_000; i++) {
      d.checkAndAdd(`e-${i}`, i * 10);
      d.expireBefore(i * 10 - 10_000); // keep about 1,000 ids live
    }
    assert.ok(d.snapshot().keys.length <= 8192, `table grew to ${d.snapshot().keys.length} slots for ~1,000 live ids`);
  });
});
