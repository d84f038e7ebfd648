import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../../test/support/harness.ts';
import { mulberry32 } from '../prng.ts';
import { deviceCode } from '../features/memory/session-table.ts';
import { DEFAULT_GBDT_OPTIONS } from '../recommend/ranker/gbdt.ts';
import { RankedRecommender } from '../recommend/ranker/ranked-recommender.ts';
import { DEFAULT_KNN_PARAMS } from '../recommend/session-knn.ts';
import { train, withSession } from './evaluate.ts';
import { readLoggedSessions } from './logged-sessions.ts';
import { DEFAULT_TRAIN_OPTIONS, trainRanker } from './train-ranker.ts';

const T0 = Date.UTC(2026, 10, 2, 9, 0);
const MIN = 60_000;
const dir = tempDir('sessionwise-logged-');
after(() => rmSync(dir, { recursive: true, force: true }));

function jsonl(name: string, events: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n');
  return path;
}

describe('readLoggedSessions', () => {
  it('cuts sessions as the stream does, with each click\'s time and the device named by then', async () => {
    let n = 0;
    const ev = (type: string, minutes: number, fields: Record<string, unknown>) => ({ type, id: `e${n++}`, ts: T0 + minutes * MIN, anonymousId: 'phone', ...fields });
    const path = jsonl('events.jsonl', [
      ev('product_view', 2, { sessionId: 's1', itemId: 'stove' }), // out of order: sorted by time
      ev('page_view', 0, { sessionId: 's1', context: { device: 'mobile' } }),
      ev('product_view', 1, { sessionId: 's1', itemId: 'tent' }),
      ev('add_to_cart', 3, { sessionId: 's1', itemId: 'tent', context: { device: 'tablet' } }),
      ev('purchase', 4, { sessionId: 's1', items: [{ itemId: 'tent' }] }), // not a click
      ev('product_view', 40, { sessionId: 's1', itemId: 'lamp' }), // after the 30-minute gap: a new session
      ev('click', 5, { anonymousId: 'laptop', itemId: 'mug' }), // no session id: the device's
      ev('product_view', 6, { sessionId: 's2', itemId: 42 }), // invalid: an item id is a string
    ]);
    const logged = await readLoggedSessions(path, 'jsonl');
    assert.deepEqual(logged.sessions, [['tent', 'stove', 'tent'], ['mug'], ['lamp']]);
    assert.deepEqual(logged.contexts[0], { times: [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN], devices: [deviceCode('mobile'), deviceCode('mobile'), deviceCode('tablet')] });
    assert.deepEqual(logged.contexts[1], { times: [T0 + 5 * MIN], devices: [0] });
    assert.deepEqual(logged.contexts[2], { times: [T0 + 40 * MIN], devices: [0] }, 'a new session starts without a device');
    assert.equal(logged.invalid.count, 1);
    assert.match(logged.invalid.first!, /itemId/);
  });

  it('names the line of an event that is not JSON', async () => {
    const path = jsonl('broken.jsonl', [{ type: 'page_view', id: 'a', ts: T0, anonymousId: 'd' }, '{"type": "page_view",']);
    await assert.rejects(readLoggedSessions(path, 'jsonl'), /broken\.jsonl:2: not JSON/);
  });
});

describe('train from logged events', () => {
  it('learns the device context: after a tent, phone shoppers want the compact stove, desktop shoppers the family one', async () => {
    // Both stoves follow a tent equally often, so the candidate blend cannot tell them apart; the
    // family stove is also bought with lamps, so it is the more popular. Only the device tells
    // which stove comes next.
    const events: unknown[] = [];
    let n = 0;
    const view = (session: string, minutes: number, itemId: string, device: string) =>
      events.push({ type: 'product_view', id: `e${n++}`, ts: T0 + minutes * MIN, anonymousId: `d-${session}`, sessionId: session, itemId, context: { device } });
    // Shoppers of each kind arrive in random order: no other signal (which item was seen last) tells them apart.
    const random = mulberry32(5);
    for (let s = 0; s < 3000; s++) {
      const start = s * 2;
      const kind = Math.floor(random() * 3);
      if (kind === 2) {
        view(`s${s}`, start, 'lamp', 'desktop');
        view(`s${s}`, start + 1, 'family-stove', 'desktop');
        continue;
      }
      const device = kind === 0 ? 'mobile' : 'desktop';
      view(`s${s}`, start, 'tent', device);
      view(`s${s}`, start + 1, device === 'mobile' ? 'compact-stove' : 'family-stove', device);
    }
    const logged = await readLoggedSessions(jsonl('devices.jsonl', events), 'jsonl');
    const knn = { ...DEFAULT_KNN_PARAMS, revisitWeight: 0 };
    const result = await trainRanker(logged.sessions, { ...DEFAULT_TRAIN_OPTIONS, fraction: 0.2, knn, gbdt: { ...DEFAULT_GBDT_OPTIONS, trees: 20, depth: 3, learningRate: 0.3 } }, logged.contexts);
    const ranker = new RankedRecommender(result.file);
    const { store } = await train(logged.sessions);
    const first = (device: 'mobile' | 'desktop') => ranker.recommend({ sessionId: 'example', k: 2 }, withSession(store, ['tent'], { time: T0, device: deviceCode(device) }), () => true)[0]?.itemId;
    assert.equal(first('mobile'), 'compact-stove');
    assert.equal(first('desktop'), 'family-stove');
    assert.ok(result.validation.ranked.mrr > result.validation.blendOnly.mrr, `validation: ranked ${JSON.stringify(result.validation.ranked)} over the blend alone ${JSON.stringify(result.validation.blendOnly)}`);
  });
});
