/**
 * Item-to-item co-visitation learned from sessions as they stream: when an item follows others
 * within a session, each earlier item gains weight towards it (more for the one just before,
 * more forwards than backwards). Each item keeps between MAX_NEIGHBOURS and twice that of its
 * strongest neighbours, so memory stays bounded.
 *
 * Each item's neighbours live in a small open-addressing table of two Int32Arrays (neighbour,
 * weight) rather than a Map: an update is a probe or two with no allocation, which matters at
 * six updates per viewed item, and the collector sees a few typed arrays per item instead of a
 * Map with its entries.
 */
import type { Neighbours } from '../feature-store.ts';
import { PackingArray, runSteps, STEP_ITEMS, type Steps } from './checkpoint-file.ts';

const MAX_NEIGHBOURS = 100;
const WINDOW = 3;
const FORWARD = 12;
const BACKWARD = 6;
/** A table prunes to MAX_NEIGHBOURS when it reaches twice that; this capacity holds it under 80% full. */
const LARGEST_CAPACITY = 256;
const FIRST_CAPACITY = 8;

/**
 * Every table laid end to end in three arrays: a checkpoint serializes a few large typed arrays
 * in milliseconds, where one object with two small arrays per item took over 100 ms at 43k items.
 */
export interface CovisitationSnapshot {
  /** Table of item i: slots start[i] to start[i + 1]; an empty span for an item without one. */
  start: Int32Array;
  /** Neighbour item + 1 per slot (0: free slot), and its weight. */
  keys: Int32Array;
  weights: Int32Array;
  sizes: Int32Array;
}

class NeighbourTable implements Neighbours {
  constructor(
    private keys: Int32Array = new Int32Array(FIRST_CAPACITY),
    private weights: Int32Array = new Int32Array(FIRST_CAPACITY),
    public size = 0,
    public strongest = 0,
    public total = 0,
  ) {}

  get(item: number): number | undefined {
    const slot = this.find(item + 1);
    return this.keys[slot] === 0 ? undefined : this.weights[slot];
  }

  forEach(fn: (weight: number, item: number) => void): void {
    const { keys, weights } = this;
    for (let s = 0; s < keys.length; s++) if (keys[s] !== 0) fn(weights[s]!, keys[s]! - 1);
  }

  /** Adds `w` to the weight towards `item`. */
  add(item: number, w: number): void {
    const key = item + 1;
    const slot = this.find(key);
    if (this.keys[slot] !== 0) {
      this.total += w;
      const weight = (this.weights[slot]! += w);
      if (weight > this.strongest) this.strongest = weight;
      return;
    }
    if (w > this.strongest) this.strongest = w;
    if (this.size + 1 >= 2 * MAX_NEIGHBOURS) this.prune();
    else if (this.keys.length < LARGEST_CAPACITY && (this.size + 1) * 4 > this.keys.length * 3) this.rehash(this.keys.length * 2);
    this.put(key, w);
    this.total += w; // after a prune, which sums what it keeps
  }

  /** Copies the slots into `keys` and `weights` from `at` (capacity slots). */
  copyInto(keys: Int32Array, weights: Int32Array, at: number): void {
    keys.set(this.keys, at);
    weights.set(this.weights, at);
  }

  get capacity(): number {
    return this.keys.length;
  }

  /** The slot holding `key`, or the free slot where it would go (linear probing). */
  private find(key: number): number {
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
    while (this.keys[slot] !== 0 && this.keys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  }

  /** Keeps the strongest MAX_NEIGHBOURS (ties at the cut: those found first). */
  private prune(): void {
    const { keys, weights } = this;
    const occupied = new Int32Array(this.size);
    for (let s = 0, n = 0; s < keys.length; s++) if (keys[s] !== 0) occupied[n++] = weights[s]!;
    const cut = occupied.sort()[occupied.length - MAX_NEIGHBOURS]!;
    let ties = MAX_NEIGHBOURS;
    for (const w of occupied) if (w > cut) ties--;
    this.keys = new Int32Array(keys.length);
    this.weights = new Int32Array(keys.length);
    this.size = 0;
    this.total = 0;
    for (let s = 0; s < keys.length; s++) {
      const w = weights[s]!;
      if (keys[s] === 0 || w < cut || (w === cut && ties-- <= 0)) continue;
      this.put(keys[s]!, w);
      this.total += w;
    }
  }

  private rehash(capacity: number): void {
    const { keys, weights } = this;
    this.keys = new Int32Array(capacity);
    this.weights = new Int32Array(capacity);
    this.size = 0;
    for (let s = 0; s < keys.length; s++) if (keys[s] !== 0) this.put(keys[s]!, weights[s]!);
  }

  private put(key: number, weight: number): void {
    const slot = this.find(key);
    this.keys[slot] = key;
    this.weights[slot] = weight;
    this.size++;
  }
}

/** Checkpoints before the tables stored one Map per item. */
type LegacySnapshot = Map<number, Map<number, number>>;

export class Covisitation {
  /** Indexed by item; null for an item never followed or preceded by another. */
  private readonly tables: Array<NeighbourTable | null> = [];
  /** What snapshots pack the tables into (valid until the next snapshot). */
  private readonly packedKeys = new PackingArray();
  private readonly packedWeights = new PackingArray();

  /** `previous` is the session's recent items, most recent first, before `item` was added. */
  observe(item: number, previous: number[]): void {
    Covisitation.additions(item, previous, (from, to, w) => this.table(from).add(to, w));
  }

  /** The weights one observation adds, edge by edge: the rule itself, for stores that keep the tables elsewhere. */
  static additions(item: number, previous: number[], add: (from: number, to: number, weight: number) => void): void {
    let distance = 0;
    for (const p of previous) {
      if (p === item) continue;
      distance++;
      if (distance > WINDOW) break;
      add(p, item, Math.round(FORWARD / distance));
      add(item, p, Math.round(BACKWARD / distance));
    }
  }

  neighbours(item: number): Neighbours | undefined {
    return this.tables[item] ?? undefined;
  }

  private table(item: number): NeighbourTable {
    while (this.tables.length <= item) this.tables.push(null);
    return (this.tables[item] ??= new NeighbourTable());
  }

  snapshot(): CovisitationSnapshot {
    return runSteps(this.snapshotSteps());
  }

  /** The snapshot (valid until the next one), packed table by table (tens of milliseconds in all), yielding every STEP_ITEMS tables. */
  *snapshotSteps(): Steps<CovisitationSnapshot> {
    const items = this.tables.length;
    const start = new Int32Array(items + 1);
    const sizes = new Int32Array(items);
    for (let i = 0; i < items; i++) {
      const table = this.tables[i];
      start[i + 1] = start[i]! + (table?.capacity ?? 0);
      sizes[i] = table?.size ?? 0;
      if (i % STEP_ITEMS === STEP_ITEMS - 1) yield;
    }
    const keys = this.packedKeys.take(start[items]!);
    const weights = this.packedWeights.take(start[items]!);
    yield;
    for (let i = 0; i < items; i++) {
      this.tables[i]?.copyInto(keys, weights, start[i]!);
      if (i % STEP_ITEMS === STEP_ITEMS - 1) yield;
    }
    return { start, keys, weights, sizes };
  }

  static restore(snapshot: CovisitationSnapshot | LegacySnapshot): Covisitation {
    const c = new Covisitation();
    if (snapshot instanceof Map) {
      for (const [item, neighbours] of snapshot) for (const [other, w] of neighbours) c.table(item).add(other, w);
      return c;
    }
    const { start, keys, weights, sizes } = snapshot;
    for (let i = 0; i + 1 < start.length; i++) {
      const from = start[i]!;
      const to = start[i + 1]!;
      if (to === from) {
        c.tables.push(null);
        continue;
      }
      const tableWeights = weights.slice(from, to);
      let total = 0;
      for (const w of tableWeights) total += w; // free slots hold 0
      c.tables.push(new NeighbourTable(keys.slice(from, to), tableWeights, sizes[i]!, Math.max(0, ...tableWeights), total));
    }
    return c;
  }
}
