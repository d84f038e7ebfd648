/**
 * The distributed topology as separate processes on loopback: broker, Redis, 2 collectors,
 * 3 processors, 2 servers. A recorded-looking stream is replayed through both collectors; one
 * processor is killed with SIGKILL mid-stream; after the consumer group rebalances, the per-item
 * counts the servers report equal the acknowledged events exactly, and a shopper's fresh event
 * through one collector is reflected by the other server (read-your-writes across processes).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster } from './support/cluster.ts';
import { mulberry32 } from '../src/prng.ts';
import { generateStream, replayWithProcessorKill } from './support/scenario.ts';
import { distributedUnavailable } from './support/services.ts';

const EVENTS = 12_000;
const unavailable = await distributedUnavailable();

test('2 collectors, 3 processors, 2 servers: kill -9 a processor mid-stream, counts stay exact', { skip: unavailable, timeout: 300_000 }, async (t) => {
  const cluster = await startCluster({ partitions: 6, collectors: 2, processors: 3, servers: 2, env: { CHECKPOINT_INTERVAL_SECONDS: '1' } });
  try {
    const events = generateStream(EVENTS, mulberry32(0x6d70));
    const result = await replayWithProcessorKill(cluster, events, { killAfter: 0.4, log: (line) => t.diagnostic(line) });
    assert.ok(result.killed, 'a processor was killed');
    assert.equal(result.acknowledged, EVENTS);
    assert.deepEqual(result.counted, result.expected, 'per-item view, cart and purchase counts equal the acknowledged events');
    assert.equal(result.applied, EVENTS, 'each acknowledged event applied once');

    // A shopper's event through collector 1 is fresh on server 2 (the processors between them unknown).
    const [collector] = cluster.collectors;
    const server = cluster.servers[1]!;
    const posted = await fetch(`${collector!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ type: 'product_view', id: 'mp-fresh', ts: Date.now(), anonymousId: 'fresh-device', sessionId: 'fresh-session', itemId: 'item-1' }] }),
    });
    const { token } = (await posted.json()) as { token: string };
    const answer = (await (await fetch(`${server.url}/v1/recommendations?sessionId=fresh-session&k=5&after=${token}`)).json()) as { fresh: boolean; items: unknown[] };
    assert.equal(answer.fresh, true);
    assert.ok(answer.items.length > 0, 'recommendations for the fresh session');
    const session = (await (await fetch(`${server.url}/v1/sessions/fresh-session`)).json()) as { recentItems: string[] };
    assert.deepEqual(session.recentItems, ['item-1']);
  } finally {
    await cluster.stop();
  }
});
