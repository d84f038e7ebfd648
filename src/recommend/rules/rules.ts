/**
 * Compliance rules applied to every recommendation list, each decision explainable: blocked
 * items, unavailable items, items the shopper already bought, categories restricted by region
 * or age, a cap per category, and pinned items at fixed positions. The rule file is JSON,
 * validated on load (`rulesFile` in the configuration).
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { readFileSync } from 'node:fs';
import type { Recommendation } from '../recommender.ts';

export const RulesSchema = Type.Object(
  {
    blockedItems: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Never shown.' })),
    pinnedItems: Type.Optional(
      Type.Array(Type.Object({ itemId: Type.String({ minLength: 1 }), position: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }), {
        description: 'Shown at this position (0 = first) when the item may be shown at all.',
      }),
    ),
    restrictedCategories: Type.Optional(
      Type.Array(
        Type.Object(
          {
            category: Type.String({ minLength: 1 }),
            regions: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Hidden for requests from these regions.' })),
            minAge: Type.Optional(Type.Integer({ minimum: 0, description: 'Hidden unless the request states an age at least this.' })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    maxPerCategory: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many items of one category in a list.' })),
    hideUnavailable: Type.Boolean({ default: true }),
    hidePurchased: Type.Boolean({ default: true, description: 'Hide items the shopper already bought.' }),
  },
  { additionalProperties: false },
);
export type RulesFile = Static<typeof RulesSchema>;

const check = TypeCompiler.Compile(RulesSchema);

/** What the rules need to know about an item and a request. */
export interface RuleContext {
  categoryOf(itemId: string): string | undefined;
  isAvailable(itemId: string): boolean;
  /** False when no item is unavailable, so that isAvailable need not be asked. */
  anyUnavailable: boolean;
  purchased: ReadonlySet<string>;
  region?: string;
  age?: number;
}

export interface RuleDecision {
  itemId: string;
  rule: 'blocked' | 'unavailable' | 'purchased' | 'restricted-region' | 'restricted-age' | 'max-per-category' | 'pinned';
  detail: string;
}

export class Rules {
  private readonly blocked: Set<string>;
  private readonly restricted: Map<string, { regions?: Set<string>; minAge?: number }>;

  constructor(readonly file: RulesFile) {
    this.blocked = new Set(file.blockedItems ?? []);
    this.restricted = new Map((file.restrictedCategories ?? []).map((r) => [r.category, { regions: r.regions && new Set(r.regions), minAge: r.minAge }]));
  }

  static parse(input: unknown, source = 'rules'): Rules {
    const withDefaults = { hideUnavailable: true, hidePurchased: true, ...(input as object) };
    if (!check.Check(withDefaults)) {
      const e = check.Errors(withDefaults).First();
      throw new Error(`${source}: ${e?.path || '/'}: ${e?.message ?? 'does not match the rules schema'}`);
    }
    return new Rules(withDefaults);
  }

  static load(path: string): Rules {
    return Rules.parse(JSON.parse(readFileSync(path, 'utf8')), path);
  }

  /**
   * Whether any item could be excluded in this context. When none can, callers skip the check
   * per candidate: dozens of string lookups a request, each a likely cache miss.
   */
  excludesAnything(ctx: RuleContext): boolean {
    return this.blocked.size > 0 || (this.file.hideUnavailable && ctx.anyUnavailable) || (this.file.hidePurchased && ctx.purchased.size > 0) || this.restricted.size > 0;
  }

  /** Why an item may not be shown in this context, or undefined when it may. */
  exclusion(itemId: string, ctx: RuleContext): RuleDecision | undefined {
    if (this.blocked.has(itemId)) return { itemId, rule: 'blocked', detail: 'on the blocked list' };
    if (this.file.hideUnavailable && !ctx.isAvailable(itemId)) return { itemId, rule: 'unavailable', detail: 'not available in the catalog' };
    if (this.file.hidePurchased && ctx.purchased.has(itemId)) return { itemId, rule: 'purchased', detail: 'already bought by this shopper' };
    if (this.restricted.size === 0) return undefined;
    const category = ctx.categoryOf(itemId);
    const restriction = category === undefined ? undefined : this.restricted.get(category);
    if (restriction) {
      if (restriction.regions && ctx.region !== undefined && restriction.regions.has(ctx.region)) {
        return { itemId, rule: 'restricted-region', detail: `category ${category} is restricted in region ${ctx.region}` };
      }
      if (restriction.minAge !== undefined && (ctx.age === undefined || ctx.age < restriction.minAge)) {
        return { itemId, rule: 'restricted-age', detail: `category ${category} needs age ${restriction.minAge}+${ctx.age === undefined ? ' (no age given)' : ''}` };
      }
    }
    return undefined;
  }

  /**
   * Finishes a ranked list (longer than k is fine: the recommender over-fetches): drops what the
   * category cap forbids, places pinned items that may be shown, cuts to k. `decisions` collects
   * every item the rules moved or removed.
   */
  finish(ranked: Recommendation[], k: number, ctx: RuleContext, decisions: RuleDecision[]): Recommendation[] {
    // Without pins or a cap (most shops) nothing moves: skip the category lookups of every item.
    if (!this.file.pinnedItems?.length && this.file.maxPerCategory === undefined) return ranked.length > k ? ranked.slice(0, k) : ranked;
    const pins = (this.file.pinnedItems ?? []).filter((p) => {
      const excluded = this.exclusion(p.itemId, ctx);
      if (excluded) decisions.push(excluded);
      return !excluded;
    });
    const pinned = new Set(pins.map((p) => p.itemId));
    const perCategory = new Map<string, number>();
    const cap = this.file.maxPerCategory;
    const count = (itemId: string) => {
      const c = ctx.categoryOf(itemId);
      if (c !== undefined) perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
    };
    for (const p of pins) count(p.itemId);
    const out: Recommendation[] = [];
    for (const r of ranked) {
      if (pinned.has(r.itemId)) continue;
      const category = ctx.categoryOf(r.itemId);
      if (cap !== undefined && category !== undefined && (perCategory.get(category) ?? 0) >= cap) {
        decisions.push({ itemId: r.itemId, rule: 'max-per-category', detail: `already ${cap} items of category ${category}` });
        continue;
      }
      count(r.itemId);
      out.push(r);
    }
    for (const p of [...pins].sort((a, b) => a.position - b.position)) {
      out.splice(Math.min(p.position, out.length), 0, { itemId: p.itemId, score: 0, reason: 'pinned by the shop' });
      decisions.push({ itemId: p.itemId, rule: 'pinned', detail: `placed at position ${p.position}` });
    }
    return out.slice(0, k);
  }
}

/** The rules in force when no rule file is configured: hide unavailable and already bought items. */
export const DEFAULT_RULES = Rules.parse({});
