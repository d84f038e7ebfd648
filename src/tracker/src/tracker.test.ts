import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { validateEvent } from '../../events/validate.ts';
import { FakeEnvironment } from './fake-environment.ts';
import { createTracker, type TrackerOptions } from './tracker.ts';

function setup(options: TrackerOptions = {}, configure?: (env: FakeEnvironment) => void) {
  const env = new FakeEnvironment();
  configure?.(env);
  const tracker = createTracker({ endpoint: 'https://sw.example/', salt: 'site-salt', ...options }, env);
  return { env, tracker, events: () => env.requests.flatMap((r) => r.body.events ?? []) };
}

describe('tracker events', () => {
  it('sends events the collector accepts, with ids, time, device, session and a stripped page', async () => {
    const { env, tracker, events } = setup({ allowQueryParams: ['utm_source'] });
    tracker.page();
    tracker.productView('sku-1', { price: 25, category: 'tents' });
    env.pageInfo = { ...env.pageInfo, href: 'https://shop.example/cart?token=secret' };
    tracker.page();
    tracker.addToCart('sku-1', { price: 25, quantity: 1 });
    await env.advance(0);
    assert.equal(env.requests[0]!.url, 'https://sw.example/v1/events');
    const sent = events();
    assert.deepEqual(sent.map((e) => e.type), ['page_view', 'product_view', 'page_view', 'add_to_cart']);
    for (const event of sent) assert.deepEqual(validateEvent(event), { ok: true, event }, JSON.stringify(event));
    assert.equal(new Set(sent.map((e) => e.id)).size, 4);
    assert.equal(new Set(sent.map((e) => e.sessionId)).size, 1);
    assert.equal(new Set(sent.map((e) => e.anonymousId)).size, 1);
    assert.deepEqual(sent[0]!.context, { page: 'https://shop.example/p/1?utm_source=mail', locale: 'en-GB', device: 'desktop' });
    assert.deepEqual(sent[2]!.context, { page: 'https://shop.example/cart', referrer: 'https://shop.example/p/1?utm_source=mail', locale: 'en-GB', device: 'desktop' });
    assert.equal(sent[1]!.itemId, 'sku-1');
    assert.equal(sent[1]!.ts, env.time);
  });

  it('starts a new session after 30 minutes without events', async () => {
    const { env, tracker, events } = setup();
    tracker.page();
    const first = tracker.sessionId;
    env.time += 30 * 60_000 + 1;
    tracker.page();
    await env.advance(0);
    assert.notEqual(tracker.sessionId, first);
    assert.deepEqual(events().map((e) => e.sessionId), [first, tracker.sessionId]);
  });
});

describe('tracker privacy', () => {
  it('consent mode: sends and stores nothing before consent, then a consent event and the page view', async () => {
    const { env, tracker, events } = setup({ requireConsent: true });
    tracker.page();
    tracker.productView('sku-1');
    await tracker.identify('alice@example.com');
    await env.advance(10_000);
    assert.equal(env.requests.length, 0);
    assert.equal(env.stored.size, 0, 'nothing stored');
    assert.equal(tracker.sessionId, undefined);
    tracker.consent(true);
    await env.advance(0);
    assert.deepEqual(events().map((e) => e.type), ['consent', 'page_view']);
    assert.equal(events()[0]!.granted, true);
    // The choice is remembered by the next page.
    const next = createTracker({ requireConsent: true }, env);
    assert.equal(next.enabled, true);
  });

  it('withdrawing consent clears local state and stops sending', async () => {
    const { env, tracker } = setup({ requireConsent: true });
    tracker.consent(true);
    await env.advance(0);
    tracker.consent(false);
    assert.equal(env.stored.size, 0);
    tracker.page();
    await env.advance(10_000);
    assert.equal(env.requests.length, 1);
  });

  for (const signal of ['gpc', 'dnt'] as const) {
    it(`honours ${signal.toUpperCase()} by default: nothing sent or stored, even after consent`, async () => {
      const { env, tracker } = setup({}, (e) => (e.pageInfo[signal] = true));
      tracker.page();
      tracker.consent(true);
      tracker.addToCart('sku-1');
      await env.advance(10_000);
      assert.equal(env.requests.length, 0);
      assert.equal(env.stored.size, 0);
      assert.equal(tracker.enabled, false);
    });
  }

  it('tracks despite GPC when the site turns honouring off', async () => {
    const { env, tracker } = setup({ honorGpc: false }, (e) => (e.pageInfo.gpc = true));
    tracker.page();
    await env.advance(0);
    assert.equal(env.requests.length, 1);
  });

  it('identify sends only the salted SHA-256 of the user id, on this and every later event', async () => {
    const { env, tracker, events } = setup();
    tracker.page();
    await tracker.identify('alice@example.com');
    tracker.productView('sku-1');
    await env.advance(0);
    const hashed = createHash('sha256').update('site-salt:alice@example.com').digest('hex');
    const sent = events();
    assert.deepEqual(sent.map((e) => [e.type, e.userId]), [
      ['page_view', undefined],
      ['identify', hashed],
      ['product_view', hashed],
    ]);
    assert.ok(!JSON.stringify(env.requests).includes('alice'), 'the raw id never leaves');
    assert.equal(tracker.userId, hashed);
  });

  it('forget() clears local state and asks the server to delete the user', async () => {
    const { env, tracker } = setup();
    tracker.page();
    await tracker.identify('alice');
    await env.advance(0);
    const device = env.requests[0]!.body.events![0]!.anonymousId;
    await tracker.forget();
    assert.equal(env.stored.size, 0);
    const last = env.requests.at(-1)!;
    assert.equal(last.url, 'https://sw.example/v1/forget');
    assert.equal(last.body.userId, createHash('sha256').update('site-salt:alice').digest('hex'));
    assert.equal(tracker.userId, undefined);
    tracker.page();
    await env.advance(0);
    const after = env.requests.at(-1)!.body.events![0]!;
    assert.notEqual(after.anonymousId, device, 'a new device id');
    assert.equal(after.userId, undefined);
  });
});
