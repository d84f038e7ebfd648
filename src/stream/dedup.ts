import { hash52 } from './hash.ts';

/**
 * Remembers event ids for a bounded stretch of event time so a retried or replayed event is
 * applied once. Ids are kept as 52-bit hashes in an open-addressing table (16 bytes an id), each
 * stamped with its event-time bucket; buckets older than the horizon expire. Beyond the horizon
 * an event is past the watermark anyway and is routed as late, never applied twice.
 */
export interface DedupSnapshot {
  keys: Float64Array;
  buckets: Int32Array;
  live: number;
  minBucket: number;
}

const EMPTY = 0;

export class DedupWindow {
  private keys: Float64Array;
  private buckets: Int32Array;
  private live = 0; // occupied slots not yet reclaimed (expired ones count until reused or rebuilt)
  private used = 0; // occupied slots, expired ones included
  private minBucket = -Infinity;

  constructor(
    readonly bucketMs: number,
    initialCapacity = 1 << 16,
  ) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.keys = new Float64Array(cap);
    this.buckets = new Int32Array(cap);
  }

  /** Records the id; returns true when it was already recorded (a duplicate). */
  checkAndAdd(id: string, eventTime: number): boolean {
    const h = hash52(id);
    const bucket = Math.floor(eventTime / this.bucketMs);
    const mask = this.keys.length - 1;
    let i = (h % this.keys.length) & mask;
    let reusable = -1;
    for (;;) {
      const k = this.keys[i]!;
      if (k === EMPTY) break;
      if (this.buckets[i]! < this.minBucket) {
        if (reusable < 0) reusable = i;
      } else if (k === h) {
        return true;
      }
      i = (i + 1) & mask;
    }
    const slot = reusable >= 0 ? reusable : i;
    if (reusable < 0) this.used++;
    else this.live--; // the expired entry it replaces was still counted
    this.keys[slot] = h;
    this.buckets[slot] = bucket;
    this.live++;
    if (this.used * 2 > this.keys.length) this.rebuild();
    return false;
  }

  /** Forgets ids whose event time is before `time` (called as the watermark moves). */
  expireBefore(time: number): void {
    const bucket = Math.floor(time / this.bucketMs);
    if (bucket > this.minBucket) this.minBucket = bucket;
  }

  private rebuild(): void {
    const oldKeys = this.keys;
    const oldBuckets = this.buckets;
    let live = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY && oldBuckets[i]! >= this.minBucket) live++;
    // Grow only when live ids, not expired ones, fill the table.
    const cap = live * 4 > oldKeys.length ? oldKeys.length * 2 : oldKeys.length;
    this.keys = new Float64Array(cap);
    this.buckets = new Int32Array(cap);
    const mask = cap - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === EMPTY || oldBuckets[i]! < this.minBucket) continue;
      let j = (k % cap) & mask;
      while (this.keys[j] !== EMPTY) j = (j + 1) & mask;
      this.keys[j] = k;
      this.buckets[j] = oldBuckets[i]!;
    }
    this.live = live;
    this.used = live;
  }

  snapshot(): DedupSnapshot {
    return { keys: this.keys, buckets: this.buckets, live: this.live, minBucket: this.minBucket };
  }

  static restore(bucketMs: number, s: DedupSnapshot): DedupWindow {
    const d = new DedupWindow(bucketMs, 16);
    d.keys = s.keys;
    d.buckets = s.buckets;
    d.live = s.live;
    d.minBucket = s.minBucket;
    let used = 0;
    for (let i = 0; i < s.keys.length; i++) if (s.keys[i] !== EMPTY) used++;
    d.used = used;
    return d;
  }
}
