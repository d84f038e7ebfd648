import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSchema } from './schema.ts';
import { validateEvent } from './validate.ts';

const base = { id: 'e1', ts: Date.UTC(2026, 0, 1), anonymousId: 'd1' };

describe('validateEvent', () => {
  it('accepts every event type in its minimal form', () => {
    const minimal: Record<string, Record<string, unknown>> = {
      page_view: {},
      product_view: { itemId: 'i' },
      impression: { items: ['i', 'j'], positions: [0, 1], listId: 'rail' },
      click: {},
      add_to_cart: { itemId: 'i' },
      remove_from_cart: { itemId: 'i' },
      purchase: { items: [{ itemId: 'i', price: 3, quantity: 2 }] },
      search: { query: 'tent' },
      scroll: { depth: 50 },
      dwell: { visibleMs: 1000 },
      identify: { userId: 'u' },
      consent: { granted: true },
    };
    for (const [type, fields] of Object.entries(minimal)) {
      const r = validateEvent({ ...base, type, ...fields });
      assert.ok(r.ok, `${type}: ${r.ok ? '' : r.reason}`);
    }
    assert.deepEqual(Object.keys(jsonSchema().definitions as object).sort(), Object.keys(minimal).sort());
  });

  it('names the offending field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [42, /must be a JSON object, got number/],
      [{ ...base }, /\/type: required/],
      [{ ...base, type: 'teleport' }, /unknown event type "teleport"/],
      [{ ...base, type: 'product_view' }, /\/itemId/],
      [{ ...base, type: 'scroll', depth: 101 }, /\/depth/],
      [{ ...base, type: 'scroll', depth: 'NaN' }, /\/depth/],
      [{ ...base, type: 'page_view', ts: 5 }, /\/ts/],
      [{ ...base, type: 'page_view', id: 'x'.repeat(129) }, /\/id/],
      [{ ...base, type: 'page_view', surprise: true }, /\/surprise/],
      [{ ...base, type: 'page_view', context: { page: '/a', nested: { deep: 1 } } }, /\/context\/nested/],
      [{ ...base, type: 'page_view', anonymousId: 'd\ud800' }, /\/anonymousId: string is not well-formed/],
    ];
    for (const [input, reason] of cases) {
      const r = validateEvent(input);
      assert.equal(r.ok, false, JSON.stringify(input));
      if (!r.ok) assert.match(r.reason, reason);
    }
  });
});
