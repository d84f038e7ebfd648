import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { distributedUnavailable, startRedis, type RedisService } from '../../test/support/services.ts';
import { Catalog } from './catalog.ts';
import { RedisCatalogBacking } from './redis-catalog.ts';

const unavailable = await distributedUnavailable();

async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), what);
}

describe('the catalog shared through Redis', { skip: unavailable }, () => {
  let redis: RedisService;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  it('an upsert to one process reaches the others, and a process started later loads it', async () => {
    const serverA = await Catalog.open(new RedisCatalogBacking(redis.url));
    const processorB = await Catalog.open(new RedisCatalogBacking(redis.url));
    try {
      await serverA.upsert({ items: [{ id: 'tent-1', title: 'Tent', category: 'tents', price: 120 }] });
      assert.equal(serverA.categoryOf('tent-1'), 'tents');
      await eventually('the other process hears the upsert', () => processorB.categoryOf('tent-1') === 'tents');
      await processorB.upsert({ items: [{ id: 'tent-1', title: 'Tent', category: 'tents', price: 99, available: false }] });
      await eventually('and the first hears the change back', () => serverA.get('tent-1')?.price === 99 && !serverA.isAvailable('tent-1'));
      const later = await Catalog.open(new RedisCatalogBacking(redis.url));
      try {
        assert.deepEqual(later.get('tent-1'), processorB.get('tent-1'));
        assert.equal(later.size, 1);
      } finally {
        await later.close();
      }
    } finally {
      await serverA.close();
      await processorB.close();
    }
  });

  it('rejects an invalid batch without storing any of it', async () => {
    const catalog = await Catalog.open(new RedisCatalogBacking(redis.url));
    try {
      await assert.rejects(catalog.upsert({ items: [{ id: 'ok' }, { id: '' }] }), /items\/1\/id/);
      assert.equal(catalog.get('ok'), undefined);
    } finally {
      await catalog.close();
    }
  });
});
