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
 * one counter per metric. Adding to a pane that has rotated out resets it first.
 */
export class PanedCounter {
  readonly counts: Uint32Array;
  readonly paneIds: Float64Array;

  constructor(
    readonly paneMs: number,
    readonly panes: number,
    readonly metrics: number,
  ) {
    this.counts = new Uint32Array(panes * metrics);
    this.paneIds = new Float64Array(panes).fill(-1);
  }

  add(time: number, metric: number, n = 1): void {
    const id = tumblingIndex(time, this.paneMs);
    const slot = id % this.panes;
    const current = this.paneIds[slot]!;
    if (current === id) {
      this.counts[slot * this.metrics + metric]! += n;
      return;
    }
    if (current > id) return; // the pane was reused by newer time: older than the window, drop
    this.paneIds[slot] = id;
    this.counts.fill(0, slot * this.metrics, (slot + 1) * this.metrics);
    this.counts[slot * this.metrics + metric] = n;
  }

  /** Sum of `metric` over the `lastPanes` panes ending with the pane that holds `now`. */
  sum(now: number, metric: number, lastPanes = this.panes): number {
    const newest = tumblingIndex(now, this.paneMs);
    const oldest = newest - lastPanes + 1;
    let total = 0;
    for (let slot = 0; slot < this.panes; slot++) {
      const id = this.paneIds[slot]!;
      if (id >= oldest && id <= newest) total += this.counts[slot * this.metrics + metric]!;
    }
    return total;
  }
}
