import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CART_ITEMS, RECENT_ITEMS, SESSION_SLOT_BYTES, SessionTable } from './session-table.ts';

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

  it('stays within its per-session byte budget', () => {
    const t = new SessionTable();
    for (let k = 1; k <= 100_000; k++) t.create(k * 7919, k, 1);
    const perSession = t.byteLength / t.size;
    assert.ok(SESSION_SLOT_BYTES <= 160, `slot is ${SESSION_SLOT_BYTES} bytes`);
    assert.ok(perSession < 300, `table holds ${perSession.toFixed(0)} bytes a session`);
  });
});
