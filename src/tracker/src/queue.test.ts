import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeEnvironment } from './fake-environment.ts';
import { createQueue, QUEUE_KEY, type QueueOptions } from './queue.ts';
import { safeStorage } from './session.ts';

const OPTIONS: QueueOptions = { url: 'https://sw.example/v1/events', batchSize: 3, maxWaitMs: 1000, maxQueue: 5, retryBaseMs: 1000, retryMaxMs: 8000 };

function setup(options: Partial<QueueOptions> = {}, env = new FakeEnvironment()) {
  const queue = createQueue(env, safeStorage(env.storage), { ...OPTIONS, ...options });
  let n = 0;
  const add = (urgent = false) => queue.add({ id: `e${++n}`, type: urgent ? 'add_to_cart' : 'scroll' }, urgent);
  return { env, queue, add };
}

describe('tracker queue: batching', () => {
  it('sends a batch once it holds batchSize events', async () => {
    const { env, add } = setup();
    add();
    add();
    await env.advance(0);
    assert.equal(env.requests.length, 0);
    add();
    await env.advance(0);
    assert.deepEqual(env.sentIds(), [['e1', 'e2', 'e3']]);
  });

  it('sends a partial batch after maxWaitMs', async () => {
    const { env, add } = setup();
    add();
    await env.advance(999);
    assert.equal(env.requests.length, 0);
    await env.advance(1);
    assert.deepEqual(env.sentIds(), [['e1']]);
  });

  it('sends an urgent event at the end of the task, with the events queued before it', async () => {
    const { env, add } = setup();
    add();
    add(true);
    await env.advance(0);
    assert.deepEqual(env.sentIds(), [['e1', 'e2']]);
  });

  it('splits a long queue into batches of batchSize and stamps sentAt at sending', async () => {
    const { env, queue, add } = setup({ maxQueue: 100 });
    for (let i = 0; i < 7; i++) add();
    env.time += 500;
    await queue.flush();
    assert.deepEqual(env.sentIds(), [['e1', 'e2', 'e3'], ['e4', 'e5', 'e6'], ['e7']]);
    assert.equal(env.requests[0]!.body.events![0]!.sentAt, env.time);
    assert.equal(queue.size, 0);
  });
});

describe('tracker queue: retries', () => {
  it('retries network errors and 5xx with growing backoff, resending the same event ids', async () => {
    const { env, queue, add } = setup();
    env.answers.push('network-error', 503, 'network-error');
    add(true);
    await env.advance(0);
    await env.advance(60_000);
    assert.equal(env.requests.length, 4, 'three failures, then success');
    assert.deepEqual(env.sentIds(), [['e1'], ['e1'], ['e1'], ['e1']]);
    const gaps = env.requests.slice(1).map((r, i) => r.at - env.requests[i]!.at);
    // Backoff doubles from 1 s; jitter draws each delay from the upper half of its step.
    for (const [i, gap] of gaps.entries()) {
      const step = 1000 * 2 ** i;
      assert.ok(gap >= step / 2 && gap <= step, `retry ${i + 1} after ${gap} ms, expected ${step / 2}..${step}`);
    }
    assert.equal(queue.size, 0);
  });

  it('caps the backoff at retryMaxMs', async () => {
    const { env, add } = setup();
    env.answers.push(...Array<'network-error'>(6).fill('network-error'));
    add(true);
    await env.advance(0);
    await env.advance(120_000);
    const gaps = env.requests.slice(1).map((r, i) => r.at - env.requests[i]!.at);
    assert.equal(gaps.length, 6);
    assert.ok(gaps.every((gap) => gap <= OPTIONS.retryMaxMs), JSON.stringify(gaps));
    assert.ok(gaps.at(-1)! >= OPTIONS.retryMaxMs / 2);
  });

  it('never retries a 4xx answer', async () => {
    const { env, queue, add } = setup();
    env.answers.push(400);
    add(true);
    await env.advance(0);
    await env.advance(60_000);
    assert.equal(env.requests.length, 1);
    assert.equal(queue.size, 0);
  });

  it('holds new events during a backoff and sends them with the retry', async () => {
    const { env, add } = setup();
    env.answers.push('network-error');
    add(true);
    await env.advance(0);
    add(true);
    await env.advance(0);
    assert.equal(env.requests.length, 1, 'no send during the backoff');
    await env.advance(1000);
    assert.deepEqual(env.sentIds(), [['e1'], ['e1', 'e2']]);
  });
});

describe('tracker queue: offline queue', () => {
  it('keeps at most maxQueue events, dropping the oldest, in storage', async () => {
    const { env, queue, add } = setup({ batchSize: 100 });
    for (let i = 0; i < 8; i++) add();
    assert.equal(queue.size, 5);
    const stored = JSON.parse(env.stored.get(QUEUE_KEY)!) as Array<{ id: string }>;
    assert.deepEqual(stored.map((e) => e.id), ['e4', 'e5', 'e6', 'e7', 'e8']);
  });

  it('a later page sends what an earlier page could not', async () => {
    const first = setup();
    first.env.answers.push('network-error');
    first.add(true);
    first.add(true);
    await first.env.advance(0);
    assert.equal(first.queue.size, 2);
    // The next page load, same storage, network back.
    const second = setup({}, first.env);
    await second.queue.flush();
    assert.deepEqual(first.env.sentIds().at(-1), ['e1', 'e2']);
    assert.equal(first.env.stored.has(QUEUE_KEY), false);
  });

  it('hands queued events to sendBeacon when the page goes away, and keeps them if it refuses', async () => {
    const { env, queue, add } = setup({ batchSize: 2 });
    add();
    env.beaconAccepts = false;
    queue.leave();
    assert.equal(queue.size, 1);
    env.beaconAccepts = true;
    add();
    add();
    queue.leave();
    assert.equal(queue.size, 0);
    assert.deepEqual(env.requests.map((r) => [r.via, r.body.events!.map((e) => e.id)]), [
      ['beacon', ['e1', 'e2']],
      ['beacon', ['e3']],
    ]);
  });
});
