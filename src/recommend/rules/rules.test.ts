import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Recommendation } from '../recommender.ts';
import { DEFAULT_RULES, Rules, type RuleContext, type RuleDecision } from './rules.ts';

const categories: Record<string, string> = { beer: 'alcohol', wine: 'alcohol', gin: 'alcohol', tent: 'camping', stove: 'camping', mug: 'kitchen' };
function context(overrides: Partial<RuleContext> = {}): RuleContext {
  return { categoryOf: (id) => categories[id], isAvailable: (id) => id !== 'gone', anyUnavailable: true, purchased: new Set(['mug']), ...overrides };
}
const list = (...ids: string[]): Recommendation[] => ids.map((itemId, i) => ({ itemId, score: 10 - i, reason: 'test' }));

describe('Rules', () => {
  const rules = Rules.parse({
    blockedItems: ['banned'],
    restrictedCategories: [{ category: 'alcohol', regions: ['XX'], minAge: 18 }],
    maxPerCategory: 2,
    pinnedItems: [{ itemId: 'stove', position: 0 }],
  });

  it('explains each exclusion', () => {
    const ctx = context({ age: 30 });
    assert.equal(rules.exclusion('banned', ctx)?.rule, 'blocked');
    assert.equal(rules.exclusion('gone', ctx)?.rule, 'unavailable');
    assert.equal(rules.exclusion('mug', ctx)?.rule, 'purchased');
    assert.equal(rules.exclusion('beer', context({ region: 'XX', age: 30 }))?.rule, 'restricted-region');
    assert.match(rules.exclusion('beer', context())!.detail, /needs age 18\+ \(no age given\)/);
    assert.equal(rules.exclusion('beer', context({ age: 17 }))?.rule, 'restricted-age');
    assert.equal(rules.exclusion('beer', ctx), undefined, 'an adult outside the region may see it');
    assert.equal(rules.exclusion('tent', ctx), undefined);
  });

  it('caps a category, pins items in place, and records why', () => {
    const decisions: RuleDecision[] = [];
    const out = rules.finish(list('beer', 'wine', 'gin', 'tent', 'stove', 'mug'), 4, context({ age: 30 }), decisions);
    assert.deepEqual(out.map((r) => r.itemId), ['stove', 'beer', 'wine', 'tent']);
    assert.deepEqual(decisions.map((d) => `${d.itemId}:${d.rule}`).sort(), ['gin:max-per-category', 'stove:pinned']);
  });

  it('does not pin an item the shopper may not see', () => {
    const pinBeer = Rules.parse({ pinnedItems: [{ itemId: 'beer', position: 0 }], restrictedCategories: [{ category: 'alcohol', minAge: 18 }] });
    const decisions: RuleDecision[] = [];
    assert.deepEqual(pinBeer.finish(list('tent'), 3, context(), decisions).map((r) => r.itemId), ['tent']);
    assert.equal(decisions[0]?.rule, 'restricted-age');
  });

  it('hides unavailable and purchased items by default, and can be told not to', () => {
    assert.equal(DEFAULT_RULES.exclusion('gone', context())?.rule, 'unavailable');
    const lax = Rules.parse({ hideUnavailable: false, hidePurchased: false });
    assert.equal(lax.exclusion('gone', context()), undefined);
    assert.equal(lax.exclusion('mug', context()), undefined);
  });

  it('says when nothing can be excluded, so the per-item check can be skipped', () => {
    const calm = context({ anyUnavailable: false, purchased: new Set() });
    assert.equal(DEFAULT_RULES.excludesAnything(calm), false);
    assert.equal(DEFAULT_RULES.excludesAnything({ ...calm, anyUnavailable: true }), true);
    assert.equal(DEFAULT_RULES.excludesAnything({ ...calm, purchased: new Set(['mug']) }), true);
    assert.equal(Rules.parse({ hidePurchased: false }).excludesAnything({ ...calm, purchased: new Set(['mug']) }), false);
    assert.equal(Rules.parse({ blockedItems: ['tent'] }).excludesAnything(calm), true);
    assert.equal(Rules.parse({ restrictedCategories: [{ category: 'alcohol', minAge: 18 }] }).excludesAnything(calm), true);
  });

  it('rejects a malformed rule file with the field named', () => {
    assert.throws(() => Rules.parse({ maxPerCategory: 0 }), /\/maxPerCategory/);
    assert.throws(() => Rules.parse({ blockList: [] }), /\/blockList/);
  });
});
