/**
 * The kernel's memory is reused across requests and grows under them: an engine that has served
 * many requests must answer exactly as a fresh one, and its rankings keep the engine's tie order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { train, withSession } from '../../eval/evaluate.ts';
import { mulberry32 } from '../../prng.ts';
import { DEFAULT_KNN_PARAMS, SessionKnn } from '../session-knn.ts';
import { KnnKernel } from './knn-kernel.ts';

const allowAll = () => true;
const failingRule = () => {
  throw new Error('rule failed');
};

describe('knn kernel', () => {
  it('answers as a fresh engine after requests of every size have grown its memory', async () => {
    const random = mulberry32(7);
    const rare = () => `r${Math.floor(random() * 4000)}`;
    const popular = () => `p${Math.floor(random() * 50)}`;
    // Short sessions of rare items (requests with few neighbours' items) and long sessions of
    // popular ones (requests with thousands: the item table grows past its first size).
    const sessions = [...Array.from({ length: 2000 }, () => [rare(), rare()]), ...Array.from({ length: 500 }, () => Array.from({ length: 30 }, popular))];
    const { store } = await train(sessions);
    // A request with many session items first (the largest inputs), then ones whose item table
    // must grow over memory the earlier requests wrote.
    const prefixes = [Array.from({ length: 40 }, rare), ['p1'], [rare(), rare()], ['p2', rare(), 'p3'], Array.from({ length: 25 }, popular)];
    const params = { ...DEFAULT_KNN_PARAMS, sampleSize: 300, revisitWeight: 0.25, trendingWeight: 0.01 };
    const used = new SessionKnn(params);
    const answer = (knn: SessionKnn, prefix: string[]) => {
      const set = knn.candidates({ sessionId: 'eval', k: 20 }, withSession(store, prefix), 20, allowAll);
      return { items: Array.from(set.items), features: Array.from(set.features) };
    };
    // Twice over: the second pass runs on memory the first pass grew and left behind.
    for (const prefix of [...prefixes, ...prefixes.reverse()]) {
      assert.deepEqual(answer(used, prefix), answer(new SessionKnn(params), prefix), `prefix of ${prefix.length} items`);
    }
    // Each request hashes into as many slots as it needs: one that follows a larger request that
    // threw (its items left anywhere in the table) must not meet them.
    for (let p = 0; p + 1 < prefixes.length; p++) {
      assert.throws(() => used.candidates({ sessionId: 'eval', k: 20 }, withSession(store, prefixes[p]!), 20, failingRule), /rule failed/);
      assert.deepEqual(answer(used, prefixes[p + 1]!), answer(new SessionKnn(params), prefixes[p + 1]!), `prefix of ${prefixes[p + 1]!.length} items after a throw`);
    }
  });

  it('is left empty by a request whose rules throw', async () => {
    const { store } = await train(Array.from({ length: 50 }, (_, s) => ['a', 'b', `c${s % 5}`, 'd']));
    const knn = new SessionKnn({ ...DEFAULT_KNN_PARAMS, revisitWeight: 0.25 });
    const request = { sessionId: 'eval', k: 3 };
    const reader = withSession(store, ['a', 'b']);
    assert.throws(() => knn.candidates(request, reader, 3, failingRule), /rule failed/);
    const answer = (engine: SessionKnn) => Array.from(engine.candidates(request, reader, 3, allowAll).features);
    assert.deepEqual(answer(knn), answer(new SessionKnn(knn.params)));
  });

  it('starts a grown item table empty, whatever its memory held before', () => {
    const kernel = new KnnKernel(new Float64Array(64).fill(1));
    const items = 4000;
    kernel.ensureFront({ maxItem: 0, listIds: 0, lists: 0, neighbours: 0, sequenceStride: 64, extras: items, asked: 0 });
    // What a ranking leaves behind: item ids, here every item's table key (id + 1).
    for (const view of [kernel.views.rankItems, kernel.views.itemFactors, kernel.views.rankScores]) new Int32Array(view.buffer, view.byteOffset, view.byteLength / 4).fill(1).forEach((_, i, a) => (a[i] = (i % items) + 1));
    kernel.ensureItems(items);
    for (let e = 0; e < items; e++) {
      kernel.views.extraItems[e] = e;
      kernel.views.extraScores[e] = 1;
    }
    kernel.blend(false, items);
    assert.equal(kernel.itemCount, items);
    assert.equal(kernel.rankBlended(items), items);
  });

  it('ranks by blended score, ties in the order items were first scored, and skips scores of zero or less', () => {
    const kernel = new KnnKernel(new Float64Array(64).fill(1));
    kernel.ensureFront({ maxItem: 0, listIds: 0, lists: 0, neighbours: 0, sequenceStride: 64, extras: 6, asked: 0 });
    kernel.ensureItems(6);
    const extras: Array<[number, number]> = [[5, 0.5], [9, 1], [7, 0.5], [3, 0], [9, -1], [11, Number.NaN]];
    extras.forEach(([item, score], e) => {
      kernel.views.extraItems[e] = item;
      kernel.views.extraScores[e] = score;
    });
    assert.equal(kernel.blend(false, extras.length), 0, 'no kNN scores: no scale');
    const ranked = kernel.rankBlended(10);
    assert.deepEqual(Array.from(kernel.views.rankItems.subarray(0, ranked)), [9, 5, 7]);
    assert.deepEqual(Array.from(kernel.views.rankScores.subarray(0, ranked)), [1, 0.5, 0.5]);
    assert.equal(kernel.rankBlended(0), 0);
    kernel.finish([]);
    assert.equal(kernel.itemCount, 0);
  });
});
