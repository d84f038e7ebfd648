/**
 * Trending and popular items, overall and per category, over the item counters: the lists the
 * recommenders fill from and draw trending candidates from. A refresh is incremental, since it
 * runs on the request thread (once a second live):
 * - popularity decays at the same rate for every item, so only items touched since the last
 *   refresh can change places: the overall lists rescore their previous members plus those items;
 * - per category, those items are scored and merged into their categories' lists, whose other
 *   members keep the scores of the refresh before (trending scores drift little within a second);
 *   a few untouched categories a refresh are rescored whole, in turn, since their items' trending
 *   scores still fall as the hour slides by.
 * A category's list is two columns, items and their (trend, popularity) pairs: merging a thousand
 * lists a second then reads contiguous memory instead of chasing an object per entry.
 */
import type { ItemStatsTable } from './item-stats.ts';

const TOP_LIST_SIZE = 500;
/** Items kept per category: more than one request's candidates and fill take. */
const CATEGORY_LIST_SIZE = 50;
const UNTOUCHED_CATEGORIES_PER_REFRESH = 32;

interface Scored {
  item: number;
  trend: number;
  popularity: number;
}

/** The lists' order, as a comparator: items with recent demand by trending score, then the rest by popularity. */
function compareScores(trendA: number, popularityA: number, trendB: number, popularityB: number): number {
  return trendB - trendA || popularityB - popularityA;
}
const byTrendThenPopularity = (a: Scored, b: Scored) => compareScores(a.trend, a.popularity, b.trend, b.popularity);

interface CategoryList {
  items: Int32Array;
  /** Per item: its trending score, then its popularity. */
  scores: Float64Array;
  length: number;
}

export class TopLists {
  private trendingItems: number[] = [];
  private popularItems: number[] = [];
  private readonly byCategory = new Map<number, CategoryList>();
  private built = false;
  /** The next category an untouched-category refresh rescores. */
  private cursor = 0;
  private readonly scratch: CategoryList = { items: new Int32Array(CATEGORY_LIST_SIZE), scores: new Float64Array(CATEGORY_LIST_SIZE * 2), length: 0 };

  constructor(private readonly stats: ItemStatsTable) {}

  /** Items with last-hour demand by trending score, then the others by popularity: overall or in one category. */
  trending(limit: number, category?: number): number[] {
    if (category === undefined) return this.trendingItems.slice(0, limit);
    const list = this.byCategory.get(category);
    const items: number[] = [];
    if (!list) return items;
    for (let i = 0; i < list.length && items.length < limit; i++) {
      const item = list.items[i]!;
      // An item the catalog moved since the refresh already counts in its new category only.
      if (this.stats.categoryOf(item) === category) items.push(item);
    }
    return items;
  }

  popular(limit: number): number[] {
    return this.popularItems.slice(0, limit);
  }

  /** Brings the lists up to `eventNow`, given the items counted since the last refresh (all of them the first time). */
  refresh(touched: ReadonlySet<number>, eventNow: number, categoryCount: number): void {
    const stats = this.stats;
    const scores = new Map<number, Scored>();
    const scoreOf = (item: number) => {
      let s = scores.get(item);
      if (!s) scores.set(item, (s = { item, trend: stats.trendingAt(item, eventNow), popularity: stats.popularityAt(item, eventNow) }));
      return s;
    };
    const changed: Iterable<number> = this.built ? touched : Array.from({ length: stats.size }, (_, i) => i);
    const overall = Array.from(this.built ? new Set([...this.popularItems, ...this.trendingItems, ...touched]) : (changed as number[]), scoreOf);
    this.popularItems = overall.sort((a, b) => b.popularity - a.popularity).slice(0, TOP_LIST_SIZE).map(({ item }) => item);
    this.trendingItems = overall.sort(byTrendThenPopularity).slice(0, TOP_LIST_SIZE).map(({ item }) => item);

    const changedByCategory = new Map<number, Scored[]>();
    for (const item of changed) {
      const c = stats.categoryOf(item);
      if (c < 0) continue;
      let items = changedByCategory.get(c);
      if (!items) changedByCategory.set(c, (items = []));
      items.push(scoreOf(item));
    }
    for (const [c, fresh] of changedByCategory) this.merge(c, fresh.sort(byTrendThenPopularity), touched);
    for (let n = 0; n < UNTOUCHED_CATEGORIES_PER_REFRESH && n < categoryCount; n++) {
      const c = this.cursor++ % categoryCount;
      const list = this.byCategory.get(c);
      if (!list || changedByCategory.has(c)) continue;
      const members: Scored[] = [];
      for (let i = 0; i < list.length; i++) {
        const item = list.items[i]!;
        if (stats.categoryOf(item) === c) members.push(scoreOf(item));
      }
      list.length = 0;
      this.merge(c, members.sort(byTrendThenPopularity), touched);
    }
    this.built = true;
  }

  /**
   * Merges `fresh` (sorted) into the category's list in place. Members touched again come back
   * through `fresh` with their new scores, and members the catalog moved leave.
   */
  private merge(category: number, fresh: Scored[], touched: ReadonlySet<number>): void {
    let list = this.byCategory.get(category);
    if (!list) this.byCategory.set(category, (list = { items: new Int32Array(CATEGORY_LIST_SIZE), scores: new Float64Array(CATEGORY_LIST_SIZE * 2), length: 0 }));
    const { items, scores } = list;
    const old = this.scratch;
    const count = list.length;
    old.items.set(items.subarray(0, count));
    old.scores.set(scores.subarray(0, count * 2));
    let i = 0;
    let j = 0;
    let out = 0;
    while (out < CATEGORY_LIST_SIZE) {
      while (i < count && (touched.has(old.items[i]!) || this.stats.categoryOf(old.items[i]!) !== category)) i++;
      if (i >= count && j >= fresh.length) break;
      if (j >= fresh.length || (i < count && compareScores(old.scores[2 * i]!, old.scores[2 * i + 1]!, fresh[j]!.trend, fresh[j]!.popularity) <= 0)) {
        items[out] = old.items[i]!;
        scores[2 * out] = old.scores[2 * i]!;
        scores[2 * out + 1] = old.scores[2 * i + 1]!;
        i++;
      } else {
        const next = fresh[j++]!;
        items[out] = next.item;
        scores[2 * out] = next.trend;
        scores[2 * out + 1] = next.popularity;
      }
      out++;
    }
    list.length = out;
  }
}
