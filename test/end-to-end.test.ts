import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeEvent, postEvents, startSystem, type RunningSystem } from './support/harness.ts';

describe('end to end through HTTP', () => {
  let running: RunningSystem;
  before(async () => {
    running = await startSystem();
  });
  after(() => running.close());

  it('serves the event JSON Schema', async () => {
    const schema = (await (await fetch(`${running.url}/v1/schema`)).json()) as { definitions: Record<string, unknown> };
    assert.ok(schema.definitions.product_view && schema.definitions.identify && schema.definitions.impression);
  });

  it('reflects a session’s views in its recommendations, with a reason', async () => {
    const { url } = running;
    await fetch(`${url}/v1/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: ['tent', 'stove', 'lamp', 'mug', 'sofa'].map((id) => ({ id, title: `A ${id}`, category: id === 'sofa' ? 'home' : 'camping', price: 10 })) }),
    });
    // Other shoppers teach the system that tents, stoves and lamps go together.
    for (let s = 0; s < 5; s++) {
      const session = { sessionId: `past-${s}`, anonymousId: `past-device-${s}` };
      const r = await postEvents(url, ['tent', 'stove', 'lamp'].map((itemId) => makeEvent('product_view', { ...session, itemId })));
      assert.equal(r.body.accepted, 3);
    }
    await postEvents(url, [makeEvent('product_view', { sessionId: 'other', anonymousId: 'o', itemId: 'sofa' })]);
    // Our shopper views a tent; the answer must reflect it (read-your-writes via the token).
    const mine = { sessionId: 'shopper-1', anonymousId: 'shopper-device' };
    const posted = await postEvents(url, [makeEvent('page_view', mine), makeEvent('product_view', { ...mine, itemId: 'tent' })]);
    assert.equal(posted.status, 200);
    assert.equal(posted.body.accepted, 2);
    const response = await fetch(`${url}/v1/recommendations?sessionId=shopper-1&k=3&after=${posted.body.token}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { fresh: boolean; items: Array<{ itemId: string; reason: string; title?: string }> };
    assert.equal(body.fresh, true);
    const top = body.items.slice(0, 3);
    for (const id of ['lamp', 'stove']) {
      const item = top.find((i) => i.itemId === id);
      assert.ok(item, `${id} in the top 3: ${JSON.stringify(top)}`);
      assert.match(item.reason, /viewed together with tent/);
      assert.equal(item.title, `A ${id}`);
    }
    assert.ok(!body.items.some((i) => i.itemId === 'sofa' && top.includes(i)), 'an unrelated item is not in the top 3');

    const session = (await (await fetch(`${url}/v1/sessions/shopper-1`)).json()) as { recentItems: string[]; interests: Array<{ category: string }> };
    assert.deepEqual(session.recentItems, ['tent']);
    assert.equal(session.interests[0]!.category, 'camping');
  });

  it('hides unavailable items', async () => {
    const { url } = running;
    await fetch(`${url}/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ id: 'stove', available: false }] }) });
    const body = (await (await fetch(`${url}/v1/recommendations?sessionId=shopper-1&k=5`)).json()) as { items: Array<{ itemId: string }> };
    assert.ok(!body.items.some((i) => i.itemId === 'stove'));
  });

  it('answers a malformed token and bad query with 400, naming what is wrong', async () => {
    const cases = [
      ['sessionId=x&after=zz', /^after: /],
      ['k=1000', /k: .*100/],
      ['k=ten', /k: Expected integer/],
      ['explain=maybe', /explain: Expected boolean/],
      ['sessionId=x&colour=red', /colour: Unexpected property/],
    ] as const;
    for (const [query, message] of cases) {
      const response = await fetch(`${running.url}/v1/recommendations?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.match(((await response.json()) as { error: string }).error, message);
    }
  });

  it('answers the same on node:http as through Fastify (inject, HEAD)', async () => {
    // The route is answered on node:http before Fastify routes (serve/http.ts); inject reaches Fastify's route.
    for (const query of ['sessionId=shopper-1&k=3&explain=true', 'k=2', 'sessionId=shopper-1&k=1000']) {
      const direct = await fetch(`${running.url}/v1/recommendations?${query}`);
      const injected = await running.app.inject({ method: 'GET', url: `/v1/recommendations?${query}` });
      assert.equal(injected.statusCode, direct.status, query);
      assert.equal(injected.body, await direct.text(), query);
      for (const header of ['content-type', 'access-control-allow-origin']) assert.equal(injected.headers[header], direct.headers.get(header), header);
    }
    const head = await fetch(`${running.url}/v1/recommendations?k=2`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await fetch(`${running.url}/v1/recommendations?k=2`, { method: 'POST' })).status, 404);
  });

  it('says so when the events it was asked to wait for are not applied in time', async () => {
    // An offset far past the log's end: the request waits freshnessWaitMs, then answers from what is there.
    const response = await fetch(`${running.url}/v1/recommendations?sessionId=shopper-1&k=2&after=0:999999999`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('sessionwise-fresh'), 'false');
    assert.equal(((await response.json()) as { fresh: boolean }).fresh, false);
  });

  it('answers a failing recommender with 500 and goes on serving', async () => {
    const { recommender } = running.system;
    const recommend = recommender.recommend;
    recommender.recommend = () => {
      throw new Error('index unavailable');
    };
    try {
      const response = await fetch(`${running.url}/v1/recommendations?sessionId=shopper-1&k=3`);
      assert.equal(response.status, 500);
      assert.deepEqual(await response.json(), { error: 'index unavailable' });
    } finally {
      recommender.recommend = recommend;
    }
    assert.equal((await fetch(`${running.url}/v1/recommendations?sessionId=shopper-1&k=3`)).status, 200);
  });

  it('is healthy and ready, and exposes metrics', async () => {
    assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${running.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    assert.match(metrics, /sessionwise_events_accepted_total \d+/);
  });
});
