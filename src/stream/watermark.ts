/**
 * Event-time watermarks, one per partition: a partition's watermark trails the latest event
 * time it has seen by the allowed lateness. Keys never span partitions, so per-partition
 * watermarks keep a lagging partition (say, during recovery) from making its events look late.
 */
export class Watermarks {
  private readonly maxSeen: Float64Array;

  constructor(
    partitions: number,
    readonly allowedLatenessMs: number,
  ) {
    this.maxSeen = new Float64Array(partitions).fill(-Infinity);
  }

  /** Watermark of a partition: events before it are late. */
  of(partition: number): number {
    return this.maxSeen[partition]! - this.allowedLatenessMs;
  }

  /** Most advanced watermark over all partitions (the clock used for time-based features). */
  max(): number {
    let m = -Infinity;
    for (const t of this.maxSeen) if (t > m) m = t;
    return m - this.allowedLatenessMs;
  }

  /** Least advanced watermark over partitions that have seen data. */
  min(): number {
    let m = Infinity;
    for (const t of this.maxSeen) if (t !== -Infinity && t < m) m = t;
    return m === Infinity ? -Infinity : m - this.allowedLatenessMs;
  }

  /** Returns true when the event is late; otherwise advances the partition's clock. */
  observe(partition: number, eventTime: number): boolean {
    if (eventTime < this.of(partition)) return true;
    if (eventTime > this.maxSeen[partition]!) this.maxSeen[partition] = eventTime;
    return false;
  }

  snapshot(): Float64Array {
    return this.maxSeen.slice();
  }

  restore(maxSeen: Float64Array): void {
    if (maxSeen.length !== this.maxSeen.length) throw new Error(`watermark snapshot has ${maxSeen.length} partitions, expected ${this.maxSeen.length}`);
    this.maxSeen.set(maxSeen);
  }
}
