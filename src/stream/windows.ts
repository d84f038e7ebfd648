/** Window arithmetic on epoch milliseconds. */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Index of the tumbling window of `size` that holds `time`. */
export function tumblingIndex(time: number, size: number): number {
  return Math.floor(time / size);
}

/** Start of the tumbling window of `size` that holds `time`. */
export function tumblingStart(time: number, size: number): number {
  return tumblingIndex(time, size) * size;
}

/**
 * Counts in a sliding window made of `panes` tumbling panes of `paneMs` (12 x 5 min = 1 hour),
 * one counter per metric, for many rows (items) at once in flat typed arrays. Adding to a pane
 * that has rotated out resets it first.
 */
export class PanedCounters {
  counts: Uint32Array = new Uint32Array(0);
  /** Pane index held by each (row, slot); -1 when unused. Pane indexes of 5 minutes fit 32 bits for millennia. */
  paneIds: Int32Array = new Int32Array(0);

  constructor(
    readonly paneMs: number,
    readonly panes: number,
    readonly metrics: number,
  ) {}

  get rows(): number {
    return this.paneIds.length / this.panes;
  }

  /** Makes room for rows 0..rows-1 (new rows empty). */
  ensureRows(rows: number): void {
    if (rows <= this.rows) return;
    const capacity = Math.max(rows, this.rows * 2, 64);
    const counts = new Uint32Array(capacity * this.panes * this.metrics);
    counts.set(this.counts);
    const paneIds = new Int32Array(capacity * this.panes).fill(-1);
    paneIds.set(this.paneIds);
    this.counts = counts;
    this.paneIds = paneIds;
  }

  add(row: number, time: number, metric: number, n = 1): void {
    const id = tumblingIndex(time, this.paneMs);
    const slot = row * this.panes + (id % this.panes);
    const base = slot * this.metrics;
    const current = this.paneIds[slot]!;
    if (current === id) {
      this.counts[base + metric]! += n;
      return;
    }
    if (current > id) return; // the pane was reused by newer time: older than the window, drop
    this.paneIds[slot] = id;
    this.counts.fill(0, base, base + this.metrics);
    this.counts[base + metric] = n;
  }

  /** Sum of `metric` over the `lastPanes` panes of a row ending with the pane that holds `now`. */
  sum(row: number, now: number, metric: number, lastPanes = this.panes): number {
    const newest = tumblingIndex(now, this.paneMs);
    const oldest = newest - lastPanes + 1;
    let total = 0;
    for (let p = 0; p < this.panes; p++) {
      const slot = row * this.panes + p;
      const id = this.paneIds[slot]!;
      if (id >= oldest && id <= newest) total += this.counts[slot * this.metrics + metric]!;
    }
    return total;
  }

  static restore(plain: PanedCounters): PanedCounters {
    const c = new PanedCounters(plain.paneMs, plain.panes, plain.metrics);
    c.counts = plain.counts;
    c.paneIds = plain.paneIds;
    return c;
  }
}
