/**
 * The closed loop in a process of its own asks for the paths its plan names, from where the plan
 * starts, and counts what it sent (the warm-up too) apart from what it measured; the client's
 * collections are counted from the moment it names.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closedLoopAside } from './closed-loop.ts';
import { watchClientGc } from './support.ts';

describe('closedLoopAside', () => {
  const runner = ['--import', 'tsx', 'bench/closed-loop-process.ts'];
  let server: http.Server;
  let base = '';
  let seen: string[] = [];
  before(async () => {
    server = http.createServer((request, response) => {
      seen.push(request.url ?? '');
      response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-length': 2 });
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("asks for the prefixes from the plan's start, and counts the warm-up as sent but not measured", async () => {
    seen = [];
    const result = await closedLoopAside({ base, paths: { prefixes: { order: 'file', count: 5, from: 3 } }, connections: 2, durationS: 0.3, warmupS: 0.5, uncountedS: 0.5 }, 0, runner);
    assert.equal(seen[0], '/v1/recommendations?sessionId=test-3&k=20');
    assert.equal(seen[1], '/v1/recommendations?sessionId=test-4&k=20');
    assert.equal(seen[2], '/v1/recommendations?sessionId=test-0&k=20');
    // autocannon may ask for a request it never sends as a run stops: at most one per connection and run.
    assert.ok(result.sent >= seen.length && result.sent <= seen.length + 4, `sent ${result.sent}, the server saw ${seen.length}`);
    assert.ok(result.responses > 0 && result.responses < seen.length / 2, `${result.responses} measured of ${seen.length}: the warm-up and the uncounted 0.5 s are left out`);
    assert.equal(result.non2xx, 0);
  });

  it('asks for one path as it is, and counts failed answers', async () => {
    seen = [];
    const result = await closedLoopAside({ base, paths: { path: '/missing' }, connections: 1, durationS: 0.2 }, 0, runner);
    assert.ok(seen.length > 0 && seen.every((url) => url === '/missing'));
    assert.equal(result.sent, 0);
    assert.equal(result.responses, 0, 'no 2xx answer to measure');
    assert.ok(result.non2xx > 0);
  });
});

describe('watchClientGc', () => {
  /** Short-lived garbage, enough to fill the young generation many times over: each object outlives the loop's next 1,023 turns only. */
  const churn = (): void => {
    const ring: Array<{ i: number }> = new Array(1024);
    for (let i = 0; i < 2_000_000; i++) ring[i & 1023] = { i };
  };

  it('counts the scavenges after its start', async () => {
    const watch = watchClientGc(0);
    churn();
    // Entries reach observers a turn later; stop() takes the queued ones too.
    await new Promise((resolve) => setImmediate(resolve));
    const gc = watch.stop();
    assert.ok(gc.scavenges > 0, `${gc.scavenges} scavenges`);
    assert.ok(gc.longestPauseMs > 0);
  });

  it('leaves out the collections before its start', () => {
    const watch = watchClientGc(Number.POSITIVE_INFINITY);
    churn();
    assert.deepEqual(watch.stop(), { scavenges: 0, markCompacts: 0, longestPauseMs: 0 });
  });
});
