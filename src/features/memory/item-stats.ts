/**
 * Per-item interaction counts in event-time windows: 5-minute tumbling panes kept for an hour
 * (the sliding 1-hour window), daily tumbling windows (today and yesterday), and an
 * exponentially decayed popularity. Trending compares the last hour with the daily rate.
 */
import { DAY, HOUR, MINUTE, PanedCounters } from '../../stream/windows.ts';

export const METRICS = ['view', 'click', 'cart', 'purchase', 'impression'] as const;
export type Metric = (typeof METRICS)[number];
export const METRIC: { [K in Metric]: number } = { view: 0, click: 1, cart: 2, purchase: 3, impression: 4 };

/** How much each interaction says about demand, for popularity and trending. */
export const DEMAND_WEIGHT = [1, 1.5, 3, 5, 0];
export const POPULARITY_HALF_LIFE_MS = 7 * DAY;

export interface ItemCounts {
  last5m: Record<Metric, number>;
  last1h: Record<Metric, number>;
  today: Record<Metric, number>;
  /** All-time counts, exact (not windowed): what the crash test compares with acknowledged events. */
  totals: Record<Metric, number>;
  popularity: number;
  trending: number;
}

/**
 * Counters of every item in columns (flat typed arrays indexed by interned item id): about 400
 * bytes an item, no per-item objects for the garbage collector to trace.
 */
export class ItemStatsTable {
  private panes = new PanedCounters(5 * MINUTE, 12, METRICS.length);
  private days = new PanedCounters(DAY, 2, METRICS.length);
  /** All-time counts, exact: the crash test compares these with acknowledged events. */
  private totals: Float64Array = new Float64Array(0);
  /** Decayed demand per item, valid at popularityTime. */
  private popularity: Float64Array = new Float64Array(0);
  private popularityTime: Float64Array = new Float64Array(0);
  /** Interned category per item, -1 where no event or catalog entry named one. */
  private categories: Int32Array = new Int32Array(0);
  private count = 0;

  /** Items with counters (interned ids 0..size-1). */
  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.panes.counts.byteLength + this.panes.paneIds.byteLength + this.days.counts.byteLength + this.days.paneIds.byteLength + this.totals.byteLength + this.popularity.byteLength * 2 + this.categories.byteLength;
  }

  has(item: number): boolean {
    return item < this.count;
  }

  /** Counts an interaction; a `category` of 0 or more becomes the item's category. */
  add(item: number, time: number, metric: number, n = 1, category = -1): void {
    if (item >= this.count) this.ensure(item + 1);
    if (category >= 0) this.categories[item] = category;
    this.panes.add(item, time, metric, n);
    this.days.add(item, time, metric, n);
    this.totals[item * METRICS.length + metric]! += n;
    const w = DEMAND_WEIGHT[metric]! * n;
    if (w === 0) return;
    const at = this.popularityTime[item]!;
    if (time >= at) {
      this.popularity[item] = this.popularity[item]! * Math.pow(0.5, (time - at) / POPULARITY_HALF_LIFE_MS) + w;
      this.popularityTime[item] = time;
    } else {
      this.popularity[item]! += w * Math.pow(0.5, (at - time) / POPULARITY_HALF_LIFE_MS);
    }
  }

  /** The item's category, -1 when unknown. */
  categoryOf(item: number): number {
    return item < this.count ? this.categories[item]! : -1;
  }

  total(item: number, metric: number): number {
    return this.totals[item * METRICS.length + metric]!;
  }

  /** Popularity as of `now`. */
  popularityAt(item: number, now: number): number {
    const at = this.popularityTime[item]!;
    return now <= at ? this.popularity[item]! : this.popularity[item]! * Math.pow(0.5, (now - at) / POPULARITY_HALF_LIFE_MS);
  }

  private demand(counter: PanedCounters, item: number, now: number, panes?: number): number {
    let d = 0;
    for (let m = 0; m < METRICS.length; m++) if (DEMAND_WEIGHT[m]! > 0) d += DEMAND_WEIGHT[m]! * counter.sum(item, now, m, panes);
    return d;
  }

  /** Last-hour demand, boosted where it runs above the item's daily hourly rate. */
  trendingAt(item: number, now: number): number {
    const hour = this.demand(this.panes, item, now);
    if (hour === 0) return 0;
    const hourlyToday = this.demand(this.days, item, now, 1) / Math.max(1, (now % DAY) / HOUR);
    return hour * Math.log2(2 + hour / (1 + hourlyToday));
  }

  counts(item: number, now: number): ItemCounts {
    const pick = (counter: PanedCounters, panes: number): Record<Metric, number> =>
      Object.fromEntries(METRICS.map((m, i) => [m, counter.sum(item, now, i, panes)])) as Record<Metric, number>;
    return {
      last5m: pick(this.panes, 1),
      last1h: pick(this.panes, 12),
      today: pick(this.days, 1),
      totals: Object.fromEntries(METRICS.map((m, i) => [m, this.total(item, i)])) as Record<Metric, number>,
      popularity: this.popularityAt(item, now),
      trending: this.trendingAt(item, now),
    };
  }

  private ensure(items: number): void {
    this.panes.ensureRows(items);
    this.days.ensureRows(items);
    const capacity = this.panes.rows;
    if (capacity > this.popularity.length) {
      const grow = (a: Float64Array, size: number) => {
        const b = new Float64Array(size);
        b.set(a);
        return b;
      };
      this.totals = grow(this.totals, capacity * METRICS.length);
      this.popularity = grow(this.popularity, capacity);
      this.popularityTime = grow(this.popularityTime, capacity);
      const categories = new Int32Array(capacity).fill(-1);
      categories.set(this.categories);
      this.categories = categories;
    }
    this.count = items;
  }

  snapshot(): ItemStatsSnapshot {
    const { panes, days, totals, popularity, popularityTime, categories, count } = this;
    return { panes, days, totals, popularity, popularityTime, categories, count };
  }

  static restore(s: ItemStatsSnapshot): ItemStatsTable {
    const t = new ItemStatsTable();
    t.panes = PanedCounters.restore(s.panes);
    t.days = PanedCounters.restore(s.days);
    t.totals = s.totals;
    t.popularity = s.popularity;
    t.popularityTime = s.popularityTime;
    // Checkpoints from before categories were kept: every item unknown until its next event says.
    t.categories = s.categories ?? new Int32Array(s.popularity.length).fill(-1);
    t.count = s.count;
    return t;
  }
}

export interface ItemStatsSnapshot {
  panes: PanedCounters;
  days: PanedCounters;
  totals: Float64Array;
  popularity: Float64Array;
  popularityTime: Float64Array;
  categories?: Int32Array;
  count: number;
}
