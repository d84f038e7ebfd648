import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedEvent } from '../../events/logged.ts';
import { FeatureState } from './feature-state.ts';
import { deviceName } from './session-table.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
let n = 0;

function ev(type: string, time: number, fields: Record<string, unknown> = {}): LoggedEvent {
  return { event: { type, id: `e${n++}`, ts: time, anonymousId: 'dev-A', sessionId: 'sess-A', ...fields } as LoggedEvent['event'], time, receivedAt: time };
}

function state(categories: Record<string, string> = {}) {
  return new FeatureState({ partitions: 1, sessionGapMs: 30 * MIN, allowedLatenessMs: 2 * MIN }, (id) => categories[id]);
}

describe('FeatureState', () => {
  it('applies a duplicate event id once', () => {
    const s = state();
    const e = ev('product_view', T0, { itemId: 'i1' });
    assert.equal(s.apply(0, e), 'applied');
    assert.equal(s.apply(0, { ...e, receivedAt: T0 + 5 }), 'duplicate');
    assert.equal(s.itemCounts('i1', T0)!.totals.view, 1);
    assert.equal(s.sessionView({ sessionId: 'sess-A' })!.events, 1);
  });

  it('dedups a retry in a lagging partition while another partition is far ahead', () => {
    const s = new FeatureState({ partitions: 2, sessionGapMs: 30 * MIN, allowedLatenessMs: 2 * MIN });
    const retried = ev('product_view', T0, { itemId: 'slow' });
    assert.equal(s.apply(1, retried), 'applied');
    // Partition 0 catches up on a backlog an hour ahead (as a consumer draining one partition first does).
    for (let i = 0; i < 50; i++) s.apply(0, ev('product_view', T0 + 60 * MIN + i, { sessionId: 'other', anonymousId: 'o', itemId: 'x' }));
    assert.equal(s.apply(1, { ...retried, receivedAt: T0 + 1 }), 'duplicate');
    assert.equal(s.itemCounts('slow', T0)!.totals.view, 1);
  });

  it('accepts out-of-order events within the lateness and orders recency by event time arrival', () => {
    const s = state();
    s.apply(0, ev('product_view', T0 + MIN, { itemId: 'b' }));
    assert.equal(s.apply(0, ev('product_view', T0, { itemId: 'a' })), 'applied');
    const view = s.sessionView({ sessionId: 'sess-A' })!;
    assert.equal(view.startTime, T0, 'start moves back to the earlier event');
    assert.equal(view.lastTime, T0 + MIN);
    assert.deepEqual(view.recentItems.length, 2);
  });

  it('counts and routes events beyond the watermark instead of applying them', () => {
    const s = state();
    s.apply(0, ev('product_view', T0 + 10 * MIN, { itemId: 'x' }));
    assert.equal(s.apply(0, ev('product_view', T0, { itemId: 'late-item' })), 'late');
    assert.equal(s.counters.late, 1);
    assert.equal(s.itemCounts('late-item', T0), undefined);
  });

  it('starts a new session after the inactivity gap, with a fresh context', () => {
    const s = state();
    s.apply(0, ev('product_view', T0, { itemId: 'a' }));
    s.apply(0, ev('add_to_cart', T0 + MIN, { itemId: 'a' }));
    s.apply(0, ev('product_view', T0 + 32 * MIN, { itemId: 'b' }));
    const view = s.sessionView({ sessionId: 'sess-A' })!;
    assert.equal(view.seq, 2);
    assert.deepEqual(view.cart, []);
    assert.equal(view.recentItems.length, 1);
    assert.equal(s.counters.sessionsStarted, 2);
  });

  it('keeps session features: items, cart, dwell, scroll, price range, category interest', () => {
    const s = state({ a: 'shoes', b: 'shoes', c: 'hats' });
    s.apply(0, ev('product_view', T0, { itemId: 'a', price: 30 }));
    s.apply(0, ev('product_view', T0 + 1000, { itemId: 'c', price: 10 }));
    s.apply(0, ev('add_to_cart', T0 + 2000, { itemId: 'b', price: 50 }));
    s.apply(0, ev('scroll', T0 + 3000, { depth: 75 }));
    s.apply(0, ev('scroll', T0 + 3500, { depth: 50 }));
    s.apply(0, ev('dwell', T0 + 4000, { visibleMs: 1500 }));
    s.apply(0, ev('dwell', T0 + 5000, { visibleMs: 500 }));
    const v = s.sessionView({ sessionId: 'sess-A' })!;
    const names = (ids: number[]) => ids.map((i) => s.items.name(i));
    assert.deepEqual(names(v.recentItems), ['b', 'c', 'a']);
    assert.deepEqual(names(v.cart), ['b']);
    assert.equal(v.dwellMs, 2000);
    assert.equal(v.maxScroll, 75);
    assert.equal(v.priceMin, 10);
    assert.equal(v.priceMax, 50);
    assert.equal(s.categories.name(v.interests[0]!.category), 'shoes');
    assert.ok(v.interests[0]!.weight > v.interests[1]!.weight);
  });

  it('continues a context across devices after identify (cross-device merge)', () => {
    const s = state();
    // Phone, signed in: the user's context.
    s.apply(0, ev('identify', T0, { anonymousId: 'phone', sessionId: 'phone-s', userId: 'u1' }));
    s.apply(0, ev('product_view', T0 + 1000, { anonymousId: 'phone', sessionId: 'phone-s', userId: 'u1', itemId: 'p1' }));
    // Laptop, anonymous at first: its own session.
    s.apply(0, ev('product_view', T0 + 2000, { anonymousId: 'laptop', sessionId: 'laptop-s', itemId: 'l1' }));
    s.apply(0, ev('add_to_cart', T0 + 3000, { anonymousId: 'laptop', sessionId: 'laptop-s', itemId: 'l1' }));
    assert.equal(s.sessionView({ userId: 'u1' })!.recentItems.length, 1);
    // Signs in on the laptop: the laptop session joins the user's context.
    s.apply(0, ev('identify', T0 + 4000, { anonymousId: 'laptop', sessionId: 'laptop-s', userId: 'u1' }));
    // Later laptop events without a user id still land in the user's context (device link).
    s.apply(0, ev('product_view', T0 + 5000, { anonymousId: 'laptop', sessionId: 'laptop-s', itemId: 'l2' }));
    const byUser = s.sessionView({ userId: 'u1' })!;
    const bySession = s.sessionView({ sessionId: 'laptop-s' })!;
    const names = (ids: number[]) => ids.map((i) => s.items.name(i));
    // The laptop's view and add-to-cart of l1 both count as recent interactions.
    assert.deepEqual(names(byUser.recentItems), ['l2', 'l1', 'l1', 'p1']);
    assert.deepEqual(names(byUser.cart), ['l1']);
    assert.deepEqual(bySession, byUser, 'the laptop session id resolves to the shared context');
    assert.deepEqual(s.sessionView({ sessionId: 'phone-s' }), byUser);
  });

  it('keeps the device of the session\'s latest event that names one, across identify', () => {
    const s = state();
    s.apply(0, ev('product_view', T0, { itemId: 'a' }));
    assert.equal(s.sessionView({ sessionId: 'sess-A' })!.device, 0, 'no event named a device yet');
    s.apply(0, ev('product_view', T0 + 1000, { itemId: 'b', context: { device: 'tablet' } }));
    s.apply(0, ev('product_view', T0 + 2000, { itemId: 'c' }));
    assert.equal(deviceName(s.sessionView({ sessionId: 'sess-A' })!.device), 'tablet');
    // The user's context from a desktop; then the tablet session signs in and joins it.
    s.apply(0, ev('product_view', T0 + 3000, { anonymousId: 'desk', sessionId: 'desk-s', userId: 'u1', itemId: 'd', context: { device: 'desktop' } }));
    s.apply(0, ev('identify', T0 + 4000, { userId: 'u1' }));
    assert.equal(deviceName(s.sessionView({ userId: 'u1' })!.device), 'tablet', 'the device the shopper uses now');
  });

  it('expires ended sessions and their links so memory stays bounded', () => {
    const s = state();
    for (let i = 0; i < 100; i++) s.apply(0, ev('product_view', T0 + i, { sessionId: `s${i}`, anonymousId: `d${i}`, itemId: 'x' }));
    s.apply(0, ev('identify', T0 + 200, { sessionId: 's0', anonymousId: 'd0', userId: 'u' }));
    assert.equal(s.sessions.size, 100);
    // An event far later moves the watermark past every session's gap.
    s.apply(0, ev('page_view', T0 + 3 * 30 * MIN, { sessionId: 'late-comer', anonymousId: 'z' }));
    assert.equal(s.expireSessions(), 100);
    assert.equal(s.sessions.size, 1);
    assert.equal(s.sessionView({ sessionId: 's0' }), undefined);
  });

  it('expires sessions incrementally within a sweep budget', () => {
    const s = state();
    for (let i = 0; i < 3000; i++) s.apply(0, ev('product_view', T0 + i, { sessionId: `s${i}`, anonymousId: `d${i}`, itemId: 'x' }));
    s.apply(0, ev('page_view', T0 + 3 * 30 * MIN, { sessionId: 'late-comer', anonymousId: 'z' }));
    let expired = 0;
    let calls = 0;
    while (s.sessions.size > 1 && calls++ < 1000) expired += s.expireSessions(256);
    assert.equal(expired, 3000);
    assert.ok(calls > 1, 'took several bounded sweeps');
  });

  it('counts item interactions in 5-minute, 1-hour and daily windows', () => {
    const s = state();
    s.apply(0, ev('product_view', T0, { itemId: 'i' }));
    s.apply(0, ev('product_view', T0 + 20 * MIN, { itemId: 'i', sessionId: 's2' }));
    s.apply(0, ev('add_to_cart', T0 + 21 * MIN, { itemId: 'i', sessionId: 's2' }));
    const c = s.itemCounts('i', T0 + 21 * MIN)!;
    assert.equal(c.last5m.view, 1, 'the 5-minute window [T0+20, T0+25) holds the second view only');
    assert.equal(c.last5m.cart, 1);
    assert.equal(c.last1h.view, 2);
    assert.equal(c.today.view, 2);
    assert.ok(c.trending > 0 && c.popularity > 0);
  });

  it('restores from a snapshot to an equal state', () => {
    const s = state();
    s.apply(0, ev('product_view', T0, { itemId: 'a' }));
    s.apply(0, ev('product_view', T0 + 1000, { itemId: 'b' }));
    const e = ev('product_view', T0 + 2000, { itemId: 'c' });
    s.apply(0, e);
    const copy = new FeatureState(s.config, undefined, structuredClone(s.snapshot()));
    assert.deepEqual(copy.sessionView({ sessionId: 'sess-A' }), s.sessionView({ sessionId: 'sess-A' }));
    assert.equal(copy.apply(0, e), 'duplicate', 'dedup window survives');
    const weights = (state: FeatureState) => {
      const out: Array<[number, number]> = [];
      state.covisitation.neighbours(state.items.lookup('a')!)!.forEach((w, item) => out.push([item, w]));
      return out;
    };
    assert.deepEqual(weights(copy), weights(s));
    assert.equal(weights(s).length, 2, 'a co-visited with b and c');
  });
});
