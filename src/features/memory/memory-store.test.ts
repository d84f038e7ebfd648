/**
 * The memory store's top lists per category: what trends in a category, then what is popular
 * there, kept fresh incrementally (only touched items and categories are rescored per refresh).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedEvent } from '../../events/logged.ts';
import { MemoryFeatureStore } from './memory-store.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

/** A store whose top lists follow every applied event (offline refresh), so each read is current. */
function store(categories: Record<string, string> = {}): { store: MemoryFeatureStore; view: (itemId: string, time: number, category?: string) => void } {
  const s = new MemoryFeatureStore({ stream: { partitions: 1, sessionGapMs: 30 * MIN, allowedLatenessMs: 2 * MIN }, categoryOf: (id) => categories[id], topListsEveryEvents: 1 });
  let offset = 0;
  const view = (itemId: string, time: number, category?: string) => {
    const event = { type: 'product_view', id: `e${offset}`, ts: time, anonymousId: `d${offset}`, sessionId: `s${offset}`, itemId, ...(category ? { category } : {}) };
    s.applySync(0, [{ partition: 0, offset: offset++, value: { event, time, receivedAt: time } as unknown as LoggedEvent }]);
  };
  return { store: s, view };
}

const categoryOf = (s: MemoryFeatureStore, name: string) => s.state.categories.lookup(name)!;
const names = (s: MemoryFeatureStore, items: number[]) => items.map((i) => s.itemId(i));

describe('memory store top lists per category', () => {
  it('rank a category\'s items by last-hour demand, then by popularity, and only its items', () => {
    const { store: s, view } = store({ tent: 'camping', stove: 'camping', lamp: 'camping', sofa: 'home' });
    for (let i = 0; i < 6; i++) view('lamp', T0 + i * MIN); // popular, two hours before the others
    for (let i = 0; i < 3; i++) view('stove', T0 + 2 * HOUR + i * MIN);
    view('tent', T0 + 2 * HOUR + 5 * MIN);
    for (let i = 0; i < 9; i++) view('sofa', T0 + 2 * HOUR + (6 + i) * MIN);
    assert.deepEqual(names(s, s.trending(10, categoryOf(s, 'camping'))), ['stove', 'tent', 'lamp']);
    assert.deepEqual(names(s, s.trending(10, categoryOf(s, 'home'))), ['sofa']);
    assert.deepEqual(names(s, s.trending(2, categoryOf(s, 'camping'))), ['stove', 'tent'], 'the limit');
    assert.deepEqual(names(s, s.trending(10)), ['sofa', 'stove', 'tent', 'lamp'], 'overall');
  });

  it('take the category an event names over the catalog\'s, and follow an item that moves', () => {
    const { store: s, view } = store({ mug: 'kitchen' });
    view('mug', T0);
    view('kettle', T0 + MIN, 'kitchen');
    view('cap', T0 + 2 * MIN); // no category anywhere: in the overall list only
    assert.deepEqual(names(s, s.trending(10, categoryOf(s, 'kitchen'))).sort(), ['kettle', 'mug']);
    view('mug', T0 + 3 * MIN, 'camping');
    assert.deepEqual(names(s, s.trending(10, categoryOf(s, 'kitchen'))), ['kettle']);
    assert.deepEqual(names(s, s.trending(10, categoryOf(s, 'camping'))), ['mug']);
    assert.ok(names(s, s.trending(10)).includes('cap'));
  });

  it('re-sort an untouched category as its items stop trending', () => {
    const { store: s, view } = store({ tent: 'camping', lamp: 'camping', sofa: 'home' });
    for (let i = 0; i < 6; i++) view('lamp', T0 + i * MIN);
    view('tent', T0 + 2 * HOUR);
    const camping = categoryOf(s, 'camping');
    assert.deepEqual(names(s, s.trending(10, camping)), ['tent', 'lamp'], 'the tent trends');
    // Two hours of sales in another category only: nothing in camping is touched, and the tent's hour is over.
    for (let i = 0; i < 12; i++) view('sofa', T0 + 2 * HOUR + (i + 1) * 10 * MIN);
    assert.deepEqual(names(s, s.trending(10, camping)), ['lamp', 'tent'], 'back to popularity order');
  });

  it('answer an unknown category with an empty list', () => {
    const { store: s, view } = store();
    view('tent', T0, 'camping');
    assert.deepEqual(s.trending(10, 12345), []);
  });
});
