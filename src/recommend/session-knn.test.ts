/**
 * Candidate sources besides the session's neighbours: the shopper's own history (a known user's
 * past purchases bring what was viewed together with them, and only that user's) and what trends
 * in the category the session shops (overall where no category is known).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedEvent } from '../events/logged.ts';
import { train } from '../eval/evaluate.ts';
import { loadEvents } from '../eval/load-sessions.ts';
import type { MemoryFeatureStore } from '../features/memory/memory-store.ts';
import { deviceCode } from '../features/memory/session-table.ts';
import { CANDIDATE_FEATURES, DEFAULT_KNN_PARAMS, HISTORY_REASON, hourOfDay, SessionKnn, SessionKnnRecommender, TRENDING_REASON, trendingInReason } from './session-knn.ts';

const HISTORY_COLUMN = CANDIDATE_FEATURES.indexOf('covisitedWithHistory');
const allowAll = () => true;

/** Past sessions: tents go with sleeping bags, and kettles with teapots; neither pair meets the other. */
async function shop(): Promise<MemoryFeatureStore> {
  const sessions: string[][] = [];
  for (let s = 0; s < 200; s++) sessions.push(s % 2 ? ['tent', 'sleeping-bag', 'lamp'] : ['kettle', 'teapot', 'mug']);
  return (await train(sessions)).store;
}

let eventNumber = 0;
async function apply(store: MemoryFeatureStore, event: Record<string, unknown>): Promise<void> {
  const time = store.state.watermarks.max() + 5000;
  const logged = { id: `history-${eventNumber++}`, ts: time, ...event };
  await loadEvents(store, [{ event: logged, time, receivedAt: time } as unknown as LoggedEvent]);
}

/** A signed-in user bought a tent last week; today, in a new session, they look at a kettle. */
async function returningShopper(): Promise<MemoryFeatureStore> {
  const store = await shop();
  await apply(store, { type: 'purchase', anonymousId: 'device-1', sessionId: 'last-week', userId: 'user-1', items: [{ itemId: 'tent', quantity: 1 }] });
  await apply(store, { type: 'product_view', anonymousId: 'device-1', sessionId: 'today', userId: 'user-1', itemId: 'kettle' });
  return store;
}

describe('history candidates', () => {
  it('bring what goes with the user\'s purchases into a new session', async () => {
    const store = await returningShopper();
    const recommended = new SessionKnnRecommender({ ...DEFAULT_KNN_PARAMS, revisitWeight: 0.25 }).recommend({ sessionId: 'today', userId: 'user-1', k: 5 }, store, allowAll);
    const ids = recommended.map((r) => r.itemId);
    assert.ok(ids.indexOf('teapot') >= 0 && ids.indexOf('teapot') < ids.indexOf('sleeping-bag'), `the session leads, then history: ${ids.join(', ')}`);
    assert.equal(recommended.find((r) => r.itemId === 'sleeping-bag')!.reason, HISTORY_REASON);
    assert.equal(recommended.find((r) => r.itemId === 'teapot')!.reason, 'viewed together with kettle');
  });

  it('leave anonymous requests and other users alone', async () => {
    const store = await returningShopper();
    const recommender = new SessionKnnRecommender(DEFAULT_KNN_PARAMS);
    for (const request of [{ sessionId: 'today', k: 5 }, { sessionId: 'today', userId: 'user-2', k: 5 }]) {
      const list = recommender.recommend(request, store, allowAll);
      // Short lists are filled with popular items, the tent's companions among them.
      const fromHistory = list.filter((r) => ['sleeping-bag', 'lamp'].includes(r.itemId) && r.reason !== 'popular');
      assert.deepEqual(fromHistory, [], `nothing of the tent's but the popular fill in ${list.map((r) => `${r.itemId} (${r.reason})`).join(', ')}`);
    }
  });

  it('are a ranker feature, also with the blend weight at 0', async () => {
    const store = await returningShopper();
    const knn = new SessionKnn({ ...DEFAULT_KNN_PARAMS, historyWeight: 0 });
    const set = knn.candidates({ sessionId: 'today', userId: 'user-1', k: 10 }, store, 10, allowAll);
    const items = Array.from(set.items, (i) => store.itemId(i));
    assert.ok(!items.includes('sleeping-bag'), 'weight 0: no history candidates');
    const teapot = items.indexOf('teapot');
    assert.equal(set.features[teapot * CANDIDATE_FEATURES.length + HISTORY_COLUMN], 0, 'a teapot was never viewed with a tent');

    const withHistory = new SessionKnn(DEFAULT_KNN_PARAMS).candidates({ sessionId: 'today', userId: 'user-1', k: 10 }, store, 10, allowAll);
    const bag = Array.from(withHistory.items, (i) => store.itemId(i)).indexOf('sleeping-bag');
    assert.ok(bag >= 0);
    assert.ok(withHistory.features[bag * CANDIDATE_FEATURES.length + HISTORY_COLUMN]! > 0);
  });
});

/**
 * Today, camping gear and sofas sell: stoves and lanterns (camping) are viewed often, the sofa
 * (home) most of all. A shopper looks at a tent, an item of the camping category.
 */
async function campingSeason(): Promise<MemoryFeatureStore> {
  const store = await shop();
  const views: Array<[string, string, number]> = [['stove', 'camping', 6], ['lantern', 'camping', 3], ['sofa', 'home', 20]];
  for (const [itemId, category, times] of views) {
    for (let i = 0; i < times; i++) await apply(store, { type: 'product_view', anonymousId: `d-${itemId}-${i}`, sessionId: `s-${itemId}-${i}`, itemId, category });
  }
  await apply(store, { type: 'product_view', anonymousId: 'device-2', sessionId: 'camper', itemId: 'tent', category: 'camping' });
  await apply(store, { type: 'product_view', anonymousId: 'device-3', sessionId: 'no-category', itemId: 'kettle' });
  return store;
}

describe('trending candidates', () => {
  const describeList = (list: Array<{ itemId: string; reason: string }>) => list.map((r) => `${r.itemId} (${r.reason})`).join(', ');

  it('bring what trends in the session\'s category after the session\'s own candidates', async () => {
    const store = await campingSeason();
    const list = new SessionKnnRecommender({ ...DEFAULT_KNN_PARAMS, trendingWeight: 0.1 }).recommend({ sessionId: 'camper', k: 10 }, store, allowAll);
    const ids = list.map((r) => r.itemId);
    assert.ok(ids.indexOf('sleeping-bag') >= 0 && ids.indexOf('sleeping-bag') < ids.indexOf('stove'), describeList(list));
    assert.ok(ids.indexOf('stove') < ids.indexOf('lantern'), `stoves trend more: ${describeList(list)}`);
    assert.equal(list.find((r) => r.itemId === 'stove')!.reason, trendingInReason('camping'));
    assert.notEqual(list.find((r) => r.itemId === 'sofa')?.reason ?? 'popular', trendingInReason('camping'), 'the sofa trends elsewhere');
    assert.ok(ids.indexOf('lantern') < ids.indexOf('sofa'), `the popular fill comes last: ${describeList(list)}`);
  });

  it('come from the overall list where no category is known', async () => {
    const store = await campingSeason();
    const list = new SessionKnnRecommender({ ...DEFAULT_KNN_PARAMS, trendingWeight: 0.1 }).recommend({ sessionId: 'no-category', k: 10 }, store, allowAll);
    assert.equal(list.find((r) => r.itemId === 'sofa')?.reason, TRENDING_REASON, describeList(list));
  });

  it('fill a short list from the session\'s category first, also with the blend weight at 0', async () => {
    const store = await campingSeason();
    const list = new SessionKnnRecommender(DEFAULT_KNN_PARAMS).recommend({ sessionId: 'camper', k: 10 }, store, allowAll);
    const fill = list.filter((r) => r.score === 0);
    assert.deepEqual(fill.slice(0, 2).map((r) => [r.itemId, r.reason]), [['stove', trendingInReason('camping')], ['lantern', trendingInReason('camping')]], describeList(list));
    assert.ok(fill.slice(2).every((r) => r.reason === 'popular'), describeList(list));
  });
});

describe('context features', () => {
  it('give every candidate the hour of the session\'s latest event and its device', async () => {
    const store = await shop();
    await apply(store, { type: 'product_view', anonymousId: 'phone', sessionId: 'on-the-bus', itemId: 'tent', context: { device: 'mobile' } });
    const time = store.session({ sessionId: 'on-the-bus' })!.lastTime;
    const set = new SessionKnn(DEFAULT_KNN_PARAMS).candidates({ sessionId: 'on-the-bus', k: 5 }, store, 5, allowAll);
    assert.ok(set.items.length > 0);
    const width = CANDIDATE_FEATURES.length;
    for (let r = 0; r < set.items.length; r++) {
      assert.equal(set.features[r * width + CANDIDATE_FEATURES.indexOf('hourOfDay')], hourOfDay(time));
      assert.equal(set.features[r * width + CANDIDATE_FEATURES.indexOf('device')], deviceCode('mobile'));
    }
  });

  it('read the hour of the day in UTC, with its fraction', () => {
    assert.equal(hourOfDay(Date.UTC(2026, 11, 2, 18, 30)), 18.5);
    assert.equal(hourOfDay(Date.UTC(1969, 11, 31, 23, 0)), 23, 'before 1970 too');
    assert.equal(hourOfDay(0), 0);
  });
});
