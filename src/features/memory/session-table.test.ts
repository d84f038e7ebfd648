import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CART_ITEMS, deviceCode, deviceName, RECENT_ITEMS, SESSION_SLOT_BYTES, SessionTable } from './session-table.ts';

describe('SessionTable', () => {
  it('keeps the most recent items in a ring, newest first', () => {
    const t = new SessionTable();
    const slot = t.create(42, 1000, 1);
    for (let i = 0; i < RECENT_ITEMS + 3; i++) t.pushItem(slot, i);
    const recent = t.recentItems(slot);
    assert.equal(recent.length, RECENT_ITEMS);
    assert.equal(recent[0], RECENT_ITEMS + 2);
    assert.equal(recent.at(-1), 3);
  });

  it('keeps a bounded cart that drops the oldest item when full', () => {
    const t = new SessionTable();
    const slot = t.create(1, 0, 1);
    for (let i = 0; i <= CART_ITEMS; i++) t.addToCart(slot, i);
    t.addToCart(slot, CART_ITEMS); // already there: no change
    assert.deepEqual(t.cart(slot), Array.from({ length: CART_ITEMS }, (_, i) => i + 1));
    t.removeFromCart(slot, 3);
    assert.ok(!t.cart(slot).includes(3));
  });

  it('recycles slots of removed sessions and starts them clean', () => {
    const t = new SessionTable();
    const a = t.create(1, 0, 1);
    t.pushItem(a, 9);
    t.remove(1);
    const b = t.create(2, 5, 1);
    assert.equal(b, a);
    assert.deepEqual(t.recentItems(b), []);
    assert.equal(t.slotOf(1), undefined);
  });

  it('keeps the device its latest event named, and starts recycled slots without one', () => {
    const t = new SessionTable();
    const slot = t.create(1, 0, 1);
    assert.equal(t.view(slot).device, 0);
    t.observeDevice(slot, deviceCode('mobile'));
    t.observeDevice(slot, deviceCode('tablet'));
    assert.equal(deviceName(t.view(slot).device), 'tablet');
    t.remove(1);
    assert.equal(t.view(t.create(2, 0, 1)).device, 0);
  });

  it('restores a checkpoint written before the device was kept', () => {
    const t = new SessionTable();
    const a = t.create(11, 1000, 3);
    t.pushItem(a, 5);
    t.addToCart(a, 6);
    t.addInterest(a, 2, 1.5);
    const b = t.create(12, 2000, 1);
    t.pushItem(b, 7);
    t.observeDevice(b, deviceCode('desktop'));
    const current = t.snapshot();
    // The old layout: the same Uint32 fields per slot without the last one, the device.
    const words = current.u32[0]!.length / 16_384;
    const old = current.u32.map((chunk) => {
      const out = new Uint32Array(16_384 * (words - 1));
      for (let i = 0; i < 16_384; i++) out.set(chunk.subarray(i * words, i * words + words - 1), i * (words - 1));
      return out;
    });
    const restored = SessionTable.restore({ ...current, u32: old });
    assert.deepEqual(restored.view(restored.slotOf(11)!), { ...t.view(a), device: 0 });
    assert.deepEqual(restored.view(restored.slotOf(12)!), { ...t.view(b), device: 0 });
    assert.deepEqual(SessionTable.restore(current).view(b), t.view(b), 'the current layout restores as it is');
    assert.throws(() => SessionTable.restore({ ...current, u32: [new Uint32Array(100)] }), /not a layout this version reads/);
  });

  it('stays within its per-session byte budget', () => {
    const t = new SessionTable();
    for (let k = 1; k <= 100_000; k++) t.create(k * 7919, k, 1);
    const perSession = t.byteLength / t.size;
    assert.ok(SESSION_SLOT_BYTES <= 160, `slot is ${SESSION_SLOT_BYTES} bytes`);
    assert.ok(perSession < 300, `table holds ${perSession.toFixed(0)} bytes a session`);
  });
});
