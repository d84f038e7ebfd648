/**
 * A simulated shopper against the serving engine (session kNN over a store built by the stream's
 * own apply path): ignored recommendations lose ground, a click pulls its neighbours up, and the
 * exploration slots learn which items earn clicks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedEvent } from '../../events/logged.ts';
import { train } from '../../eval/evaluate.ts';
import { loadEvents } from '../../eval/load-sessions.ts';
import type { MemoryFeatureStore } from '../../features/memory/memory-store.ts';
import { mulberry32 } from '../../prng.ts';
import type { Recommendation } from '../recommender.ts';
import { DEFAULT_KNN_PARAMS, SessionKnnRecommender } from '../session-knn.ts';
import { FeedbackRecommender, type FeedbackOptions } from './feedback.ts';

const CLUSTERS = 4;
const PER_CLUSTER = 30;
const item = (cluster: number, i: number) => `c${cluster}-i${i}`;
const clusterOf = (itemId: string) => Number(/^c(\d+)-/.exec(itemId)![1]);

/** Past sessions that each stay inside one cluster: the world the shopper browses. */
async function world(): Promise<MemoryFeatureStore> {
  const random = mulberry32(7);
  const sessions: string[][] = [];
  for (let s = 0; s < 600; s++) {
    const cluster = s % CLUSTERS;
    const length = 3 + Math.floor(random() * 4);
    sessions.push(Array.from({ length }, () => item(cluster, Math.floor(random() ** 2 * PER_CLUSTER))));
  }
  return (await train(sessions)).store;
}

class Shopper {
  private n = 0;
  constructor(
    private readonly store: MemoryFeatureStore,
    readonly sessionId: string,
    private time: number,
  ) {}

  async act(type: 'product_view' | 'click' | 'impression', fields: Record<string, unknown>): Promise<void> {
    this.time += 5000;
    const event = { type, id: `${this.sessionId}-${this.n++}`, ts: this.time, anonymousId: `${this.sessionId}-device`, sessionId: this.sessionId, ...fields };
    await loadEvents(this.store, [{ event, time: this.time, receivedAt: this.time } as LoggedEvent]);
  }

  view(itemId: string) {
    return this.act('product_view', { itemId });
  }

  see(items: Recommendation[]) {
    return this.act('impression', { items: items.map((r) => r.itemId), listId: 'rec:rail' });
  }

  async clickThrough(itemId: string) {
    await this.act('click', { itemId, listId: 'rec:rail' });
    await this.view(itemId);
  }
}

function engine(options: Partial<FeedbackOptions>) {
  return new FeedbackRecommender(new SessionKnnRecommender({ ...DEFAULT_KNN_PARAMS, revisitWeight: 0 }), options);
}

const ids = (list: Recommendation[]) => list.map((r) => r.itemId);
const all = () => true;

describe('in-session feedback', () => {
  it('moves ignored recommendations down, and pulls a clicked item’s neighbours up', async () => {
    const store = await world();
    const recommender = engine({ explorationShare: 0 });
    const shopper = new Shopper(store, 'shopper-1', store.state.watermarks.max());
    const ask = async () => recommender.recommend({ sessionId: shopper.sessionId, k: 10 }, await store.reader({}), all);

    await shopper.view(item(0, 0));
    const first = ids(await ask());
    assert.equal(first.length, 10);
    assert.ok(first.every((id) => clusterOf(id) === 0), 'the rail starts with the viewed item’s cluster');

    const ignoredNow = first.slice(0, 4);
    await shopper.see((await ask()).slice(0, 4));
    const second = ids(await ask());
    for (const id of ignoredNow) {
      const before = first.indexOf(id);
      const after = second.indexOf(id);
      assert.ok(after === -1 || after > before, `${id} was ignored once and should drop: ${before} -> ${after}`);
    }
    assert.equal(second[0], first[4], 'the first item not yet ignored takes the top');

    // Shown and ignored again: those seen twice drop further.
    const twice = second.slice(0, 4).filter((id) => ignoredNow.includes(id));
    assert.ok(twice.length > 0);
    await shopper.see((await ask()).slice(0, 4));
    const third = ids(await ask());
    for (const id of twice) assert.ok(third.indexOf(id) === -1 || third.indexOf(id) > second.indexOf(id), `${id} seen twice should drop further`);

    // A click on something from another cluster: its neighbours gain at once.
    const before = await ask();
    await shopper.clickThrough(item(2, 1));
    const after = ids(await ask());
    const cluster2Before = ids(before).filter((id) => clusterOf(id) === 2).length;
    const cluster2After = after.filter((id) => clusterOf(id) === 2).length;
    assert.ok(cluster2After >= 5 && cluster2After > cluster2Before, `cluster 2 items in the rail: ${cluster2Before} -> ${cluster2After}`);
  });

  it('an item clicked after being shown is no longer counted as ignored', async () => {
    const store = await world();
    const shopper = new Shopper(store, 'shopper-2', store.state.watermarks.max());
    await shopper.view(item(1, 0));
    await shopper.see([{ itemId: item(1, 3), score: 1, reason: '' }]);
    const reader = await store.reader({});
    assert.equal(reader.session({ sessionId: shopper.sessionId })!.ignored.get(reader.itemIndex(item(1, 3))!), 1);
    await shopper.clickThrough(item(1, 3));
    assert.equal(reader.session({ sessionId: shopper.sessionId })!.ignored.size, 0);
  });
});

describe('exploration', () => {
  /**
   * A crowd of shoppers all start from one item; two items deep in its ranking are what they
   * actually want (clicked 70% of the times they are shown, everything else 2%). Returns per
   * round whether a wanted item was shown.
   */
  async function crowd(explorationShare: number, rounds: number): Promise<{ shown: boolean[]; explored: number[] }> {
    const store = await world();
    const random = mulberry32(11);
    const recommender = engine({ explorationShare, explorationPool: 16, random });
    const start = item(3, 0);
    const probe = new Shopper(store, 'probe', store.state.watermarks.max());
    await probe.view(start);
    const base = ids(recommender.recommend({ sessionId: 'probe', k: 30 }, await store.reader({}), all).filter((r) => !r.reason.startsWith('exploring')));
    const wanted = new Set(base.slice(12, 14));
    assert.equal(wanted.size, 2);
    const shown: boolean[] = [];
    const explored: number[] = [];
    let time = store.state.watermarks.max();
    for (let round = 0; round < rounds; round++) {
      const shopper = new Shopper(store, `crowd-${round}`, time);
      await shopper.view(start);
      const list = recommender.recommend({ sessionId: shopper.sessionId, k: 10 }, await store.reader({}), all);
      explored.push(list.filter((r) => r.reason.startsWith('exploring')).length);
      shown.push(list.some((r) => wanted.has(r.itemId)));
      await shopper.see(list);
      const clicked = list.find((r) => random() < (wanted.has(r.itemId) ? 0.7 : 0.02));
      if (clicked) await shopper.clickThrough(clicked.itemId);
      time += 60_000;
    }
    return { shown, explored };
  }

  const share = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;

  it('finds what shoppers want beyond the shown list, and then shows it to nearly everyone', async () => {
    const { shown, explored } = await crowd(0.2, 200);
    assert.ok(explored.every((n) => n === 2), 'two of ten slots explore');
    const early = share(shown.slice(0, 20));
    const late = share(shown.slice(-60));
    assert.ok(late >= 0.9, `wanted items shown in the last rounds: ${late.toFixed(2)}`);
    assert.ok(late > early, `and more than at first: ${early.toFixed(2)} -> ${late.toFixed(2)}`);
  });

  it('without exploration the same crowd never sees them', async () => {
    const { shown, explored } = await crowd(0, 200);
    assert.ok(explored.every((n) => n === 0));
    assert.equal(share(shown), 0);
  });
});

describe('exploration slots', () => {
  const ranked = (n: number): Recommendation[] => Array.from({ length: n }, (_, i) => ({ itemId: `r${i}`, score: n - i, reason: 'ranked' }));
  /** Around a recommender that returns the first k of a fixed list; every pool item is unseen, so its draw is one `random()`. */
  async function explore(list: Recommendation[], draws: number[]): Promise<string[]> {
    const inner = { name: 'fixed', recommend: (request: { k: number }) => list.slice(0, request.k) };
    const recommender = new FeedbackRecommender(inner, { explorationShare: 0.1, explorationPool: 10, random: () => draws.shift()! });
    const out = recommender.recommend({ sessionId: 'nobody', k: 20 }, await (await world()).reader({}), all);
    return out.map((r) => (r.reason.startsWith('exploring') ? `explore ${r.itemId}` : r.itemId));
  }

  it('go to the pool items with the highest draws, best first, every tenth place', async () => {
    // k 20 at a share of 0.1: 18 shown, 2 exploring slots, drawn from r18..r27.
    const shown = await explore(ranked(30), [0.1, 0.2, 0.3, 0.9, 0.1, 0.1, 0.95, 0.2, 0.3, 0.4]);
    const exploit = Array.from({ length: 18 }, (_, i) => `r${i}`);
    assert.deepEqual(shown, [...exploit.slice(0, 9), 'explore r24', ...exploit.slice(9), 'explore r21']);
  });

  it('show a picked item once when the list runs out before the last slot', async () => {
    // 19 candidates: the pool is r18 alone, explored at the tenth place, then the list ends.
    const shown = await explore(ranked(19), [0.5]);
    assert.deepEqual(shown, [...Array.from({ length: 9 }, (_, i) => `r${i}`), 'explore r18', ...Array.from({ length: 9 }, (_, i) => `r${i + 9}`)]);
  });
});
