import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Catalog } from './catalog.ts';

describe('Catalog', () => {
  it('knows whether any item is unavailable as items change', async () => {
    const catalog = new Catalog();
    await catalog.upsert({ items: [{ id: 'tent' }, { id: 'stove', available: true }] });
    assert.equal(catalog.hasUnavailable, false);
    assert.equal(catalog.isAvailable('stove'), true);
    await catalog.upsert({ items: [{ id: 'stove', available: false }] });
    assert.equal(catalog.hasUnavailable, true);
    assert.equal(catalog.isAvailable('stove'), false);
    assert.equal(catalog.isAvailable('tent'), true);
    await catalog.upsert({ items: [{ id: 'stove', available: false }, { id: 'mat', available: false }] });
    await catalog.upsert({ items: [{ id: 'stove' }] });
    assert.equal(catalog.hasUnavailable, true, 'the mat is still unavailable');
    await catalog.upsert({ items: [{ id: 'mat', available: true }] });
    assert.equal(catalog.hasUnavailable, false);
  });
});
