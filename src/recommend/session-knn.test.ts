/**
 * The shopper's own history as a candidate source: a known user's past purchases bring what was
 * viewed together with them into a new session's candidates, and only that user's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedEvent } from '../events/logged.ts';
import { train } from '../eval/evaluate.ts';
import { loadEvents } from '../eval/load-sessions.ts';
import type { MemoryFeatureStore } from '../features/memory/memory-store.ts';
import { CANDIDATE_FEATURES, DEFAULT_KNN_PARAMS, HISTORY_REASON, SessionKnn, SessionKnnRecommender } from './session-knn.ts';

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
