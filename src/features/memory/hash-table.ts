/**
 * Open-addressing map from 52-bit hash keys (see hash52) to numbers, in typed arrays: 16 bytes
 * an entry at full load instead of the ~100 bytes of a Map keyed by strings. Used where millions
 * of keys live at once (sessions, identity links).
 */
const EMPTY = 0;
const DELETED = -1;

export interface HashTableSnapshot {
  keys: Float64Array;
  values: Float64Array;
  size: number;
}

export class HashTable52 {
  private keys: Float64Array;
  private values: Float64Array;
  private count = 0;
  private occupied = 0; // live + deleted markers

  constructor(initialCapacity = 1024) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.keys = new Float64Array(cap);
    this.values = new Float64Array(cap);
  }

  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  get(key: number): number | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.values[i];
  }

  set(key: number, value: number): void {
    const mask = this.keys.length - 1;
    let i = key & mask;
    let free = -1;
    for (;;) {
      const k = this.keys[i]!;
      if (k === key) {
        this.values[i] = value;
        return;
      }
      if (k === EMPTY) break;
      if (k === DELETED && free < 0) free = i;
      i = (i + 1) & mask;
    }
    if (free < 0) {
      free = i;
      this.occupied++;
    }
    this.keys[free] = key;
    this.values[free] = value;
    this.count++;
    // Load factor 0.75 of occupied slots: twice the memory of a dense array, short probe runs.
    if (this.occupied * 4 > this.keys.length * 3) this.resize(this.count * 2 > this.keys.length ? this.keys.length * 2 : this.keys.length);
  }

  delete(key: number): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    this.keys[i] = DELETED;
    this.count--;
    return true;
  }

  forEach(fn: (key: number, value: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k > 0) fn(k, this.values[i]!);
    }
  }

  /** Visits up to `budget` slots from `cursor`; returns the cursor to resume from (0 once the end is reached). */
  scan(cursor: number, budget: number, fn: (key: number, value: number) => void): number {
    const keys = this.keys;
    const end = Math.min(keys.length, cursor + budget);
    for (let i = cursor; i < end; i++) {
      const k = keys[i]!;
      if (k > 0) fn(k, this.values[i]!);
    }
    return end >= keys.length ? 0 : end;
  }

  private find(key: number): number {
    const mask = this.keys.length - 1;
    let i = key & mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === key) return i;
      if (k === EMPTY) return -1;
      i = (i + 1) & mask;
    }
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.count = 0;
    this.occupied = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i]! > 0) this.set(oldKeys[i]!, oldValues[i]!);
  }

  snapshot(): HashTableSnapshot {
    return { keys: this.keys, values: this.values, size: this.count };
  }

  static restore(s: HashTableSnapshot): HashTable52 {
    const t = new HashTable52(16);
    t.keys = s.keys;
    t.values = s.values;
    t.count = s.size;
    let occupied = 0;
    for (let i = 0; i < s.keys.length; i++) if (s.keys[i] !== EMPTY) occupied++;
    t.occupied = occupied;
    return t;
  }
}
