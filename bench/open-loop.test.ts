/**
 * The open-loop load generator counts what a server really answered: answers split over several
 * reads, errors, and a server it cannot measure (no Content-Length) said so, not miscounted.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openLoop, openLoopAside, planPaths, PrefixRotation } from './open-loop.ts';

describe('openLoop', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/headers') {
        const body = JSON.stringify(request.rawHeaders);
        response.writeHead(200, { 'content-length': Buffer.byteLength(body) });
        return void response.end(body);
      }
      if (request.url?.startsWith('/slow')) {
        setTimeout(() => response.end('ok'), request.url === '/slow' ? 200 : 50);
        return;
      }
      if (request.url === '/chunked') {
        response.write('no length');
        return void response.end();
      }
      if (!request.url?.startsWith('/ok')) {
        response.writeHead(404, { 'content-length': 2 });
        return void response.end('no');
      }
      // The body in two writes, the second a few milliseconds later: the client must wait for all of it.
      const body = Buffer.from(`{"answer":"${'x'.repeat(3000)}"}`);
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      response.write(body.subarray(0, 1000));
      setTimeout(() => response.end(body.subarray(1000)), 3);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends every request on schedule and counts answers and failures apart', async () => {
    const result = await openLoop({ base, path: (i) => (i % 4 === 3 ? '/missing' : `/ok?i=${i}`), rate: 400, durationS: 0.5 });
    assert.equal(result.sent, 200);
    assert.equal(result.skipped, 0);
    assert.equal(result.failed, 50, 'every fourth request asked for a missing page');
    assert.equal(result.answered, 150);
    // Each answer took at least the 3 ms its second half waited.
    assert.ok(result.latencyMs.p50 >= 3, `p50 ${result.latencyMs.p50} ms`);
    assert.ok(result.achievedRate > 300 && result.achievedRate <= 410, `achieved ${result.achievedRate} requests/s`);
  });

  it('opens no more connections than maxInFlight, and counts what it could not send', async () => {
    let connections = 0;
    const count = (): void => void connections++;
    server.on('connection', count);
    try {
      // 1,000 requests due in 50 ms, each answered after 200 ms: all would be in flight at once. The
      // pool starts at 200 connections and may grow by 10, while a millisecond's 20 requests fall due at once.
      const result = await openLoop({ base, path: () => '/slow', rate: 20_000, durationS: 0.05, maxInFlight: 210 });
      assert.ok(connections <= 210, `${connections} connections`);
      assert.equal(result.skipped, 1000 - connections, `${result.skipped} skipped`);
      assert.equal(result.sent + result.skipped, 1000);
      assert.equal(result.answered, result.sent);
    } finally {
      server.off('connection', count);
    }
  });

  it('times how late each request was written against its own place in the schedule, skipped ones included', async () => {
    // 2,000 requests/s answered after 50 ms need 100 connections; with 50, about half are
    // skipped all along, and the rest are still written on time.
    const result = await openLoop({ base, path: () => '/slow-50', rate: 2000, durationS: 0.5, maxInFlight: 50 });
    assert.ok(result.skipped > 200, `${result.skipped} skipped`);
    assert.ok(result.sendLagMs.max < 40, `written up to ${result.sendLagMs.max} ms late`);
  });

  it('refuses an answer it cannot delimit', async () => {
    await assert.rejects(openLoop({ base, path: () => '/chunked', rate: 100, durationS: 0.1 }), /answer without Content-Length/);
  });

  it("sends autocannon's headers, in its order", async () => {
    let seen: string[] = [];
    const record = (request: http.IncomingMessage): void => void (seen = request.rawHeaders);
    server.on('request', record);
    try {
      const result = await openLoop({ base, path: () => '/headers', rate: 100, durationS: 0.05 });
      assert.equal(result.answered, 5);
      assert.deepEqual(seen, ['Host', base.slice('http://'.length), 'Connection', 'keep-alive']);
    } finally {
      server.off('request', record);
    }
  });

  it('runs a plan in a process of its own, asking for the paths the plan names', async () => {
    const runner = ['--import', 'tsx', 'bench/open-loop-process.ts'];
    const result = await openLoopAside({ base, rate: 200, durationS: 0.5, paths: { path: '/ok?aside' } }, 0, runner);
    assert.equal(result.sent, 100);
    assert.equal(result.answered, 100);
    assert.equal(result.failed, 0);
    const missing = await openLoopAside({ base, rate: 100, durationS: 0.1, paths: { path: '/missing' } }, 0, runner);
    assert.equal(missing.failed, 10);
  });

  it("names the test prefixes from the plan's start, in the benchmark's order", () => {
    const file = planPaths({ prefixes: { order: 'file', count: 3, from: 2 } });
    assert.deepEqual([0, 1, 2, 3].map(file), [2, 0, 1, 2].map((n) => `/v1/recommendations?sessionId=test-${n}&k=20`));
    const shuffled = planPaths({ prefixes: { order: 'shuffled', count: 50, from: 0 } });
    const prefixes = Array.from({ length: 50 }, (_, i) => Number(/test-(\d+)/.exec(shuffled(i))![1]));
    assert.deepEqual([...prefixes].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(prefixes, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(planPaths({ path: '/healthz' })(7), '/healthz');
  });

  it('starts each phase of a rotation where the requests of the one before stopped', () => {
    const rotation = new PrefixRotation('file', 10);
    assert.deepEqual(rotation.plan(), { prefixes: { order: 'file', count: 10, from: 0 } });
    rotation.advance(7);
    rotation.advance(5);
    assert.equal(planPaths(rotation.plan())(0), '/v1/recommendations?sessionId=test-2&k=20', 'request 12 wraps to prefix 2');
  });
});
