/**
 * Per-item interaction counts in event-time windows: 5-minute tumbling panes kept for an hour
 * (the sliding 1-hour window), daily tumbling windows (today and yesterday), and an
 * exponentially decayed popularity. Trending compares the last hour with the daily rate.
 */
import { DAY, HOUR, MINUTE, PanedCounter } from '../../stream/windows.ts';

export const METRICS = ['view', 'click', 'cart', 'purchase', 'impression'] as const;
export type Metric = (typeof METRICS)[number];
export const METRIC: { [K in Metric]: number } = { view: 0, click: 1, cart: 2, purchase: 3, impression: 4 };

/** How much each interaction says about demand, for popularity and trending. */
const DEMAND_WEIGHT = [1, 1.5, 3, 5, 0];
const POPULARITY_HALF_LIFE_MS = 7 * DAY;

export interface ItemCounts {
  last5m: Record<Metric, number>;
  last1h: Record<Metric, number>;
  today: Record<Metric, number>;
  /** All-time counts, exact (not windowed): what the crash test compares with acknowledged events. */
  totals: Record<Metric, number>;
  popularity: number;
  trending: number;
}

export class ItemStats {
  readonly panes = new PanedCounter(5 * MINUTE, 12, METRICS.length);
  readonly days = new PanedCounter(DAY, 2, METRICS.length);
  /** Decayed demand, valid at popularityTime. */
  popularity = 0;
  popularityTime = 0;
  /** All-time counts, exact: the crash test compares these with acknowledged events. */
  readonly totals = new Float64Array(METRICS.length);

  add(time: number, metric: number, n = 1): void {
    this.panes.add(time, metric, n);
    this.days.add(time, metric, n);
    this.totals[metric]! += n;
    const w = DEMAND_WEIGHT[metric]! * n;
    if (w === 0) return;
    if (time >= this.popularityTime) {
      this.popularity = this.popularity * Math.pow(0.5, (time - this.popularityTime) / POPULARITY_HALF_LIFE_MS) + w;
      this.popularityTime = time;
    } else {
      this.popularity += w * Math.pow(0.5, (this.popularityTime - time) / POPULARITY_HALF_LIFE_MS);
    }
  }

  /** Popularity as of `now`. */
  popularityAt(now: number): number {
    return now <= this.popularityTime ? this.popularity : this.popularity * Math.pow(0.5, (now - this.popularityTime) / POPULARITY_HALF_LIFE_MS);
  }

  private demand(counter: PanedCounter, now: number, panes?: number): number {
    let d = 0;
    for (let m = 0; m < METRICS.length; m++) if (DEMAND_WEIGHT[m]! > 0) d += DEMAND_WEIGHT[m]! * counter.sum(now, m, panes);
    return d;
  }

  /** Last-hour demand, boosted where it runs above the item's daily hourly rate. */
  trendingAt(now: number): number {
    const hour = this.demand(this.panes, now);
    if (hour === 0) return 0;
    const hourlyToday = this.demand(this.days, now, 1) / Math.max(1, (now % DAY) / HOUR);
    return hour * Math.log2(2 + hour / (1 + hourlyToday));
  }

  counts(now: number): ItemCounts {
    const pick = (counter: PanedCounter, panes: number): Record<Metric, number> =>
      Object.fromEntries(METRICS.map((m, i) => [m, counter.sum(now, i, panes)])) as Record<Metric, number>;
    return {
      last5m: pick(this.panes, 1),
      last1h: pick(this.panes, 12),
      today: pick(this.days, 1),
      totals: Object.fromEntries(METRICS.map((m, i) => [m, this.totals[i]!])) as Record<Metric, number>,
      popularity: this.popularityAt(now),
      trending: this.trendingAt(now),
    };
  }

  static restore(plain: ItemStats): ItemStats {
    const s = new ItemStats();
    s.panes.counts.set(plain.panes.counts);
    s.panes.paneIds.set(plain.panes.paneIds);
    s.days.counts.set(plain.days.counts);
    s.days.paneIds.set(plain.days.paneIds);
    s.totals.set(plain.totals);
    s.popularity = plain.popularity;
    s.popularityTime = plain.popularityTime;
    return s;
  }
}
