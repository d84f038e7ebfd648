/**
 * Broker outage: a client keeps posting while every Kafka broker is down for 30 seconds. The
 * collector must keep acknowledging (into its local spool) and, once the brokers are back, drain
 * the spool in order; afterwards the per-item counts equal the acknowledged events exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeEvent, postEvents, startSystem } from './support/harness.ts';
import { distributedUnavailable, startKafka, startRedis } from './support/services.ts';

const OUTAGE_MS = 30_000;
const ITEMS = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'];
const BATCH = 10;
const WORKERS = 2;
/** Pause between a worker's requests: a steady load, bounded in volume. */
const PACE_MS = 20;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const unavailable = await distributedUnavailable();

test('brokers down for 30 s under load: the collector spools, drains in order, nothing is lost', { skip: unavailable, timeout: 180_000 }, async (t) => {
  const kafka = await startKafka({ partitions: 4 });
  const redis = await startRedis();
  const running = await startSystem({ eventLog: kafka.url, featureStore: redis.url, partitions: 4, kafkaDeliveryTimeoutMs: 1000 });
  const expected = new Map(ITEMS.map((i) => [i, 0]));
  let acked = 0;
  let ackedWhileDown = 0;
  let down = false;
  let stop = false;
  let next = 0;
  try {
    const worker = async (w: number) => {
      while (!stop) {
        const events = Array.from({ length: BATCH }, () => {
          const itemId = ITEMS[next++ % ITEMS.length]!;
          return makeEvent('product_view', { itemId, anonymousId: `outage-device-${w}-${next % 7}`, sessionId: `outage-session-${w}-${next % 7}` });
        });
        // Re-sent with the same ids until acknowledged, as a client does.
        for (let attempt = 0; ; attempt++) {
          assert.ok(attempt < 20, 'a batch was refused 20 times');
          const answer = await postEvents(running.url, events).catch(() => undefined);
          if (answer?.status === 200 && answer.body.accepted === BATCH) break;
          await sleep(100);
        }
        for (const e of events) expected.set(e.itemId as string, expected.get(e.itemId as string)! + 1);
        acked += BATCH;
        if (down) ackedWhileDown += BATCH;
        await sleep(PACE_MS);
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await sleep(3000);
    await kafka.down();
    down = true;
    const ackedBefore = acked;
    await sleep(OUTAGE_MS);
    down = false;
    await kafka.up();
    await sleep(3000);
    stop = true;
    await Promise.all(workers);
    t.diagnostic(`acknowledged ${acked} events, ${ackedBefore} before the outage, ${ackedWhileDown} during it`);
    assert.ok(ackedBefore > 0 && ackedWhileDown > 0 && acked > ackedBefore + ackedWhileDown, 'events were acknowledged before, during and after the outage');

    // Everything acknowledged is applied, exactly once.
    const deadline = Date.now() + 60_000;
    let counted: Map<string, number>;
    for (;;) {
      counted = new Map();
      for (const item of ITEMS) {
        const body = (await (await fetch(`${running.url}/v1/items/${item}`)).json()) as { stats: { totals: { view: number } } | null };
        counted.set(item, body.stats?.totals.view ?? 0);
      }
      if ([...counted.values()].reduce((a, b) => a + b, 0) >= acked || Date.now() > deadline) break;
      await sleep(200);
    }
    assert.deepEqual(counted, expected, 'per-item view counts equal the acknowledged events');
    const ready = (await (await fetch(`${running.url}/readyz`)).json()) as { counters: { applied: number; late: number } };
    assert.equal(ready.counters.applied, acked);
    assert.equal(ready.counters.late, 0, 'drained events arrive in order: none is late');
  } finally {
    stop = true;
    await running.close();
    await redis.stop();
    await kafka.stop();
  }
});
