import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { LoggedEvent } from '../../events/logged.ts';
import { LmdbEventLog } from '../../log/embedded/lmdb-log.ts';
import type { LogEntry } from '../../log/event-log.ts';
import { tempDir } from '../../../test/support/harness.ts';
import { mulberry32 } from '../../prng.ts';
import { distributedUnavailable, startRedis, startRedisCluster, type RedisService } from '../../../test/support/services.ts';
import type { ItemCounts } from '../memory/item-stats.ts';
import { MemoryFeatureStore } from '../memory/memory-store.ts';
import { MAX_SEQUENCE } from '../memory/session-index.ts';
import { deviceName } from '../memory/session-table.ts';
import { keys } from './keys.ts';
import { RedisFeatureStore } from './redis-store.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const STREAM = { partitions: 1, sessionGapMs: 30 * MIN, allowedLatenessMs: 2 * MIN };
const ITEMS = ['tent', 'stove', 'lamp', 'mug', 'sofa', 'rug'];

/** Item counts compared exactly, popularity (a float summed in another order) to 12 digits. */
function assertSameCounts(actual: ItemCounts | undefined, expected: ItemCounts | undefined, message: string): void {
  assert.ok(actual && expected, message);
  assert.deepEqual({ ...actual, popularity: 0 }, { ...expected, popularity: 0 }, message);
  assert.ok(Math.abs(actual.popularity - expected.popularity) <= 1e-12 * Math.max(1, expected.popularity), `${message}: popularity ${actual.popularity} vs ${expected.popularity}`);
}

/** A seeded stream of views, carts and purchases by a few shoppers, with retried ids, on one partition. */
function stream(count: number, seed = 7): LoggedEvent[] {
  const random = mulberry32(seed);
  const out: LoggedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const shopper = Math.floor(random() * 5);
    const itemId = ITEMS[Math.floor(random() * ITEMS.length)]!;
    const time = T0 + i * 1000;
    const type = random() < 0.8 ? 'product_view' : random() < 0.5 ? 'add_to_cart' : 'purchase';
    const base = { id: `e${i}`, ts: time, anonymousId: `device-${shopper}`, sessionId: `session-${shopper}`, ...(shopper === 0 ? { userId: 'user-0' } : {}), ...(shopper === 1 ? { context: { device: 'mobile' } } : {}) };
    const event = type === 'purchase' ? { ...base, type, items: [{ itemId, price: 10, quantity: 1 }] } : { ...base, type, itemId, category: itemId === 'sofa' || itemId === 'rug' ? 'home' : 'camping' };
    out.push({ event: event as LoggedEvent['event'], time, receivedAt: time });
    if (random() < 0.1) out.push({ event: { ...(event as LoggedEvent['event']) }, time, receivedAt: time + 5 }); // a client retry
  }
  return out;
}

const unavailable = await distributedUnavailable();

describe('Redis feature store (against a redis-server on loopback)', { skip: unavailable }, () => {
  let redis: RedisService;
  let dir: string;
  let log: LmdbEventLog;
  let entries: LogEntry<LoggedEvent>[];
  const stores: RedisFeatureStore[] = [];
  const open = () => {
    const store = new RedisFeatureStore({ url: redis.url, stream: STREAM, log });
    stores.push(store);
    return store;
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const s of stores.splice(0)) await s.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
    await redis.stop();
  });
  beforeEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    if (log) await log.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = tempDir('sessionwise-redis-');
    log = new LmdbEventLog({ dir, partitions: 1, noSync: true });
    const events = stream(300);
    await log.append('events', events.map((value) => ({ key: 'k', value })));
    entries = await log.read<LoggedEvent>('events', 0, 0, events.length);
    const flush = open();
    await flush.redis.flushall();
  });

  it('serves what the memory store serves for the same events', async () => {
    const memory = new MemoryFeatureStore({ stream: STREAM });
    memory.applySync(0, entries);
    const store = open();
    await store.applyBatch(0, entries);
    await store.positions();
    for (const item of ITEMS) assertSameCounts(await store.itemCounts(item), await memory.itemCounts(item), item);
    const fromMemory = await memory.reader({ sessionId: 'session-1' });
    const fromRedis = await store.reader({ sessionId: 'session-1' });
    const view = (reader: typeof fromMemory, query: { sessionId?: string; userId?: string }) => {
      const v = reader.session(query)!;
      return { ...v, indexRecord: undefined, recentItems: v.recentItems.map((i) => reader.itemId(i)), cart: v.cart.map((i) => reader.itemId(i)), interests: v.interests.map((x) => ({ ...x, category: reader.categoryName(x.category) })), ignored: [...v.ignored].map(([i, n]) => [reader.itemId(i), n]) };
    };
    assert.deepEqual(view(fromRedis, { sessionId: 'session-1' }), view(fromMemory, { sessionId: 'session-1' }));
    assert.equal(deviceName(fromRedis.session({ sessionId: 'session-1' })!.device), 'mobile', 'the device, a ranker feature');
    const neighbours = (reader: typeof fromMemory, item: string) => {
      const out: Record<string, number> = {};
      reader.neighbours(reader.itemIndex(item)!)?.forEach((w, i) => (out[reader.itemId(i)] = w));
      return out;
    };
    for (const item of new Set(view(fromMemory, { sessionId: 'session-1' }).recentItems)) assert.deepEqual(neighbours(fromRedis, item), neighbours(fromMemory, item), `neighbours of ${item}`);
    const sequences = (reader: typeof fromMemory, item: string) => {
      const index = reader.sessionIndex();
      const sequence = new Int32Array(MAX_SEQUENCE);
      const length = new Int32Array(1);
      return index.sessionsWith(reader.itemIndex(item)!).map((id) => {
        index.copySessions(Int32Array.of(id), 1, sequence, length);
        return Array.from(sequence.subarray(0, length[0]), (i) => reader.itemId(i)).join(' ');
      });
    };
    assert.deepEqual(sequences(fromRedis, 'tent'), sequences(fromMemory, 'tent'), 'recent sessions holding tent, oldest first');
    const user = await store.reader({ userId: 'user-0' });
    const memoryUser = await memory.reader({ userId: 'user-0' });
    assert.deepEqual(user.userProfile('user-0')!.purchases.map((i) => user.itemId(i)), memoryUser.userProfile('user-0')!.purchases.map((i) => memoryUser.itemId(i)));
    assert.deepEqual(store.stats().counters, memory.stats().counters);
    const names = (reader: typeof fromMemory, ids: number[]) => ids.map((i) => reader.itemId(i));
    assert.deepEqual(names(fromRedis, fromRedis.popular(10)), names(fromMemory, fromMemory.popular(10)), 'items by popularity');
    // Trending ranks by last-hour demand in Redis (the memory store boosts it by the daily rate): the same items.
    assert.deepEqual(names(fromRedis, fromRedis.trending(10)).sort(), names(fromMemory, fromMemory.trending(10)).sort());
    // The session's main category: its trending items, prefetched with the request (no other category's).
    const main = (reader: typeof fromMemory) => reader.session({ sessionId: 'session-1' })!.interests[0]!.category;
    const inMain = names(fromMemory, fromMemory.trending(10, main(fromMemory)));
    assert.deepEqual(inMain.sort(), (fromMemory.categoryName(main(fromMemory)) === 'home' ? ['rug', 'sofa'] : ['lamp', 'mug', 'stove', 'tent']), 'the memory store\'s list');
    assert.deepEqual(names(fromRedis, fromRedis.trending(10, main(fromRedis))).sort(), inMain);
  });

  it('reads what goes with a user\'s purchases made outside the current session (history candidates)', async () => {
    const later = T0 + 400_000;
    const shopper = { anonymousId: 'device-9', userId: 'user-9' };
    const extra: LoggedEvent[] = [
      { event: { id: 'x1', ts: later, type: 'purchase', sessionId: 'old-9', ...shopper, items: [{ itemId: 'sofa', quantity: 1 }] }, time: later, receivedAt: later },
      { event: { id: 'x2', ts: later + 40 * MIN, type: 'product_view', sessionId: 'new-9', ...shopper, itemId: 'tent' }, time: later + 40 * MIN, receivedAt: later + 40 * MIN },
    ] as LoggedEvent[];
    await log.append('events', extra.map((value) => ({ key: 'k', value })));
    const all = await log.read<LoggedEvent>('events', 0, 0, entries.length + extra.length);
    const memory = new MemoryFeatureStore({ stream: STREAM });
    memory.applySync(0, all);
    const store = open();
    await store.applyBatch(0, all);
    const query = { sessionId: 'new-9', userId: 'user-9' };
    const [fromMemory, fromRedis] = [await memory.reader(query), await store.reader(query)];
    assert.deepEqual(fromRedis.session(query)!.recentItems.map((i) => fromRedis.itemId(i)), ['tent'], 'the session holds only the tent');
    const sofaNeighbours = (reader: typeof fromMemory) => {
      const out: Record<string, number> = {};
      reader.neighbours(reader.itemIndex('sofa')!)?.forEach((w, i) => (out[reader.itemId(i)] = w));
      return out;
    };
    assert.ok(Object.keys(sofaNeighbours(fromMemory)).length > 0);
    assert.deepEqual(sofaNeighbours(fromRedis), sofaNeighbours(fromMemory));
  });

  it('counts each event once when a batch is applied again, after a crash before the commit, by another processor, in other batches', async () => {
    const first = open();
    await first.applyBatch(0, entries);
    const once = await Promise.all(ITEMS.map((i) => first.itemCounts(i)));
    const counters = first.stats().counters;
    // A processor killed after its effects and before its commit: the partition's commit is undone.
    await first.redis.del(keys.meta(0));
    const second = open();
    assert.deepEqual(await second.positions(), [0]);
    // Re-delivered in other batch boundaries, to a processor that rebuilds its working state from the log.
    const cut = Math.floor(entries.length / 3);
    await second.applyBatch(0, entries.slice(cut, 2 * cut));
    await second.applyBatch(0, entries.slice(2 * cut));
    await second.positions();
    assert.deepEqual(await Promise.all(ITEMS.map((i) => second.itemCounts(i))), once);
    // The first applies the tail again as a zombie would: still once.
    await first.applyBatch(0, entries.slice(cut));
    assert.deepEqual(await Promise.all(ITEMS.map((i) => second.itemCounts(i))), once);
    const again = second.stats().counters;
    assert.equal(again.applied + again.duplicates, entries.length - cut, 'the undone commit counts the events at or past its position');
    assert.equal(counters.applied + counters.duplicates, entries.length);
  });

  it('rebuilds a working state from the log and from its checkpoint without writing effects twice', async () => {
    const stateDir = tempDir('sessionwise-redis-state-');
    try {
      const half = Math.floor(entries.length / 2);
      const writer = new RedisFeatureStore({ url: redis.url, stream: STREAM, log, dir: stateDir, checkpointIntervalMs: 0 });
      await writer.applyBatch(0, entries.slice(0, half));
      await writer.maintain();
      await writer.close();
      const resumed = new RedisFeatureStore({ url: redis.url, stream: STREAM, log, dir: stateDir });
      stores.push(resumed);
      await resumed.applyBatch(0, entries.slice(half));
      const memory = new MemoryFeatureStore({ stream: STREAM });
      memory.applySync(0, entries);
      await resumed.positions();
      for (const item of ITEMS) assertSameCounts(await resumed.itemCounts(item), await memory.itemCounts(item), item);
      assert.deepEqual(resumed.stats().counters, memory.stats().counters);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('Redis feature store on a Redis Cluster (3 masters on loopback)', { skip: unavailable }, () => {
  it('keeps every update within one slot: applies, re-applies once, and serves a request', async () => {
    const cluster = await startRedisCluster();
    const dir = tempDir('sessionwise-redis-cluster-log-');
    const log = new LmdbEventLog({ dir, partitions: 1, noSync: true });
    const store = new RedisFeatureStore({ url: cluster.url, stream: STREAM, log });
    const second = new RedisFeatureStore({ url: cluster.url, stream: STREAM, log });
    try {
      const events = stream(200, 3);
      await log.append('events', events.map((value) => ({ key: 'k', value })));
      const entries = await log.read<LoggedEvent>('events', 0, 0, events.length);
      await store.applyBatch(0, entries);
      await store.redis.del(keys.meta(0)); // a processor that died before its commit
      await second.applyBatch(0, entries);
      await store.positions();
      const memory = new MemoryFeatureStore({ stream: STREAM });
      memory.applySync(0, entries);
      for (const item of ITEMS) assertSameCounts(await store.itemCounts(item), await memory.itemCounts(item), item);
      const reader = await store.reader({ sessionId: 'session-2' });
      const view = reader.session({ sessionId: 'session-2' })!;
      assert.deepEqual(view.recentItems.map((i) => reader.itemId(i)), (await memory.reader({})).session({ sessionId: 'session-2' })!.recentItems.map((i) => memory.itemId(i)));
      assert.ok(reader.sessionIndex().sessionsWith(view.recentItems[0]!).length > 0);
    } finally {
      await store.close();
      await second.close();
      await log.close();
      rmSync(dir, { recursive: true, force: true });
      await cluster.stop();
    }
  });
});
