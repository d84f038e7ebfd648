import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeEvent, postEvents, startSystem, type RunningSystem } from './support/harness.ts';

interface List {
  strategy: string;
  items: Array<{ itemId: string; title?: string }>;
}

/** Reads server-sent events from a streaming response, one `recommendations` event at a time. */
class EventStreamReader {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<string>;

  constructor(response: Response) {
    this.reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next list pushed; fails after `timeoutMs` (a bound on the test, not a timing assertion). */
  async next(timeoutMs = 5000): Promise<List> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const lines = block.split('\n');
        if (lines.includes('event: recommendations')) return JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as List;
        continue;
      }
      const left = deadline - Date.now();
      assert.ok(left > 0, 'no list pushed in time');
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([this.reader.read(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no list pushed in time')), left)))]);
      clearTimeout(timer);
      assert.ok(!chunk.done, 'stream ended');
      this.buffer += chunk.value;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }
}

describe('live recommendations over server-sent events', () => {
  let running: RunningSystem;
  before(async () => {
    running = await startSystem();
    const { url } = running;
    await fetch(`${url}/v1/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: ['tent', 'stove', 'lamp', 'kayak', 'paddle', 'vest'].map((id) => ({ id, title: `A ${id}`, category: 'outdoor', price: 10 })) }),
    });
    // Other shoppers: tents go with stoves and lamps, kayaks with paddles and vests.
    for (let s = 0; s < 4; s++) {
      for (const group of [['tent', 'stove', 'lamp'], ['kayak', 'paddle', 'vest']]) {
        const who = { sessionId: `past-${group[0]}-${s}`, anonymousId: `past-${group[0]}-${s}` };
        assert.equal((await postEvents(url, group.map((itemId) => makeEvent('product_view', { ...who, itemId })))).body.accepted, 3);
      }
    }
  });
  after(() => running.close());

  it('sends the current list on connect, then a fresh list after each change to the session', async () => {
    const who = { sessionId: 'live-1', anonymousId: 'live-device-1' };
    const first = await postEvents(running.url, [makeEvent('product_view', { ...who, itemId: 'tent' })]);
    // Connect once the first view is applied, so the opening list reflects it.
    await fetch(`${running.url}/v1/recommendations?sessionId=live-1&after=${first.body.token}`);
    const response = await fetch(`${running.url}/v1/stream?sessionId=live-1&k=3`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('access-control-allow-origin'), '*', 'shops on other origins can listen');
    const stream = new EventStreamReader(response);
    const opening = await stream.next();
    assert.deepEqual(opening.items.map((i) => i.itemId).sort(), ['lamp', 'stove', 'tent']);
    assert.equal(opening.items[0]!.title?.startsWith('A '), true);

    await postEvents(running.url, [makeEvent('product_view', { ...who, itemId: 'kayak' }), makeEvent('product_view', { ...who, itemId: 'paddle' })]);
    let pushed = await stream.next();
    // The two views may arrive as one batch or two; wait for the list that reflects both.
    while (!pushed.items.some((i) => i.itemId === 'vest')) pushed = await stream.next();
    assert.ok(!pushed.items.some((i) => i.itemId === 'lamp'), 'the kayak context replaced the tent context at the top');
    await stream.cancel();
  });

  it('pushes nothing for other sessions’ events', async () => {
    const response = await fetch(`${running.url}/v1/stream?sessionId=quiet&k=3`);
    const stream = new EventStreamReader(response);
    await stream.next();
    await postEvents(running.url, [makeEvent('product_view', { sessionId: 'noisy', anonymousId: 'noisy', itemId: 'tent' })]);
    const own = await postEvents(running.url, [makeEvent('product_view', { sessionId: 'quiet', anonymousId: 'quiet', itemId: 'kayak' })]);
    assert.equal(own.body.accepted, 1);
    // The first push after connecting is the one caused by this session's own view.
    const pushed = await stream.next();
    assert.ok(pushed.items.some((i) => i.itemId === 'paddle'), JSON.stringify(pushed));
    await stream.cancel();
  });

  it('refuses a stream without a session id', async () => {
    assert.equal((await fetch(`${running.url}/v1/stream?k=3`)).status, 400);
  });

  it('forgets a user: their context is gone after POST /v1/forget', async () => {
    const who = { sessionId: 'forget-me', anonymousId: 'forget-device' };
    await postEvents(running.url, [makeEvent('product_view', { ...who, itemId: 'tent' }), makeEvent('identify', { ...who, userId: 'user-hash-1' })]);
    const forgot = await fetch(`${running.url}/v1/forget`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ userId: 'user-hash-1' }) });
    assert.equal(forgot.status, 200);
    assert.deepEqual(await forgot.json(), { forgotten: true, caughtUp: true });
    assert.equal((await fetch(`${running.url}/v1/sessions/forget-me`)).status, 404);
    assert.equal((await fetch(`${running.url}/v1/forget`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 400);
  });
});
