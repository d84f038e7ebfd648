/**
 * The session index for session-based nearest neighbours (the VMIS-kNN family): the item
 * sequences of the most recent sessions, and for each item the ids of the most recent sessions
 * that hold it. The stream appends to it as sessions progress, so a session is a neighbour for
 * the next shopper as soon as its event is applied. Memory is bounded twice: the newest
 * `capacity` sessions are kept (a ring), and each item keeps at most 2 x `postingLimit` ids.
 *
 * Sequences live in flat typed arrays: INLINE items a session in one Int32Array (most sessions
 * are shorter), the rare longer tail in a map; about 33 bytes a session plus its postings.
 */
export const MAX_SEQUENCE = 64;
const INLINE = 8;
const GROW_STEP = 1 << 16;
const NO_SESSIONS: readonly number[] = [];
const NO_SESSION = -1;

export interface SessionIndexSnapshot {
  capacity: number;
  postingLimit: number;
  next: number;
  inline: Int32Array;
  lengths: Uint8Array;
  overflow: Map<number, number[]>;
  /**
   * Postings end to end (item i: postingIds[postingStart[i]] up to postingStart[i + 1]): two
   * typed arrays serialize in a few milliseconds where tens of thousands of arrays took 20+.
   * Checkpoints from before hold `postings` as one array per item.
   */
  postingStart?: Int32Array;
  postingIds?: Int32Array;
  postings?: number[][];
  /** An Int32Array; checkpoints from before hold an array. */
  counts: Int32Array | number[];
}

export class SessionIndex {
  private next = 0;
  private inline: Int32Array = new Int32Array(0);
  private lengths: Uint8Array = new Uint8Array(0);
  /** Items past INLINE, by session id. */
  private overflow = new Map<number, number[]>();
  private postings: number[][] = [];
  /** Sessions that ever held each item: postings are trimmed, this count is not. */
  private counts = new Int32Array(0);
  /**
   * The newest session holding each item (NO_SESSION: none), beside the counts in flat arrays: a
   * request reads both for each of its candidates, where a posting list's tail is two or three
   * cache misses away (array, elements, tail).
   */
  private newest = new Int32Array(0);

  constructor(
    readonly capacity = 1_000_000,
    readonly postingLimit = 1000,
  ) {}

  /** Sessions indexed so far (including aged-out ones). */
  get opened(): number {
    return this.next;
  }

  /** Starts a session record; returns its id. The oldest record ages out when the ring is full. */
  open(): number {
    const id = this.next++;
    const slot = id % this.capacity;
    if (slot >= this.lengths.length) this.grow();
    if (id >= this.capacity) this.overflow.delete(id - this.capacity);
    this.lengths[slot] = 0;
    return id;
  }

  isLive(id: number): boolean {
    return id < this.next && id >= this.next - this.capacity;
  }

  append(id: number, item: number): void {
    if (!this.isLive(id)) return;
    const slot = id % this.capacity;
    const length = this.lengths[slot]!;
    if (length >= MAX_SEQUENCE) return;
    let seen = false;
    for (let j = 0; j < length && !seen; j++) seen = this.itemAt(id, j) === item;
    if (length < INLINE) this.inline[slot * INLINE + length] = item;
    else {
      let tail = this.overflow.get(id);
      if (!tail) this.overflow.set(id, (tail = []));
      tail.push(item);
    }
    this.lengths[slot] = length + 1;
    if (seen) return;
    if (item >= this.counts.length) this.growItems(item);
    while (this.postings.length <= item) this.postings.push([]);
    const list = this.postings[item]!;
    list.push(id);
    this.counts[item]!++;
    this.newest[item] = id;
    // Amortised trim: keep the newest postingLimit ids once twice that many have gathered.
    if (list.length >= 2 * this.postingLimit) list.splice(0, list.length - this.postingLimit);
  }

  /** Number of clicks recorded for a session; 0 once aged out. */
  length(id: number): number {
    return this.isLive(id) ? this.lengths[id % this.capacity]! : 0;
  }

  /** The j-th item (click order) of a live session; j < length(id). */
  itemAt(id: number, j: number): number {
    return j < INLINE ? this.inline[(id % this.capacity) * INLINE + j]! : this.overflow.get(id)![j - INLINE]!;
  }

  /**
   * Copies the items (click order) of sessions `ids[0..count)` into `into`, session n from
   * n x MAX_SEQUENCE, and their lengths (0 once aged out) into `lengths`. One pass reads every
   * length, the next every sequence: neighbours are scattered over the ring, and independent
   * reads let the processor wait for many cache misses at once.
   */
  copySessions(ids: Int32Array, count: number, into: Int32Array, lengths: Int32Array): void {
    for (let n = 0; n < count; n++) lengths[n] = this.length(ids[n]!);
    const inline = this.inline;
    for (let n = 0; n < count; n++) {
      const length = lengths[n]!;
      const from = (ids[n]! % this.capacity) * INLINE;
      const to = n * MAX_SEQUENCE;
      for (let j = 0; j < length && j < INLINE; j++) into[to + j] = inline[from + j]!;
      if (length > INLINE) into.set(this.overflow.get(ids[n]!)!, to + INLINE);
    }
  }

  /**
   * The ids of the sessions that hold `item`, oldest first; ids below `oldestLive` have aged out.
   * Read-only: callers walk it from the end for the most recent sessions (no callback per id on
   * the request path).
   */
  sessionsWith(item: number): readonly number[] {
    return this.postings[item] ?? NO_SESSIONS;
  }

  /** The oldest session id still in the ring. */
  get oldestLive(): number {
    return this.next - this.capacity;
  }

  /** How many sessions ever held the item (for IDF). */
  sessionCount(item: number): number {
    return item < this.counts.length ? this.counts[item]! : 0;
  }

  /** The newest session that holds the item (it may have aged out), or -1 for none. */
  newestSession(item: number): number {
    return item < this.newest.length ? this.newest[item]! : NO_SESSION;
  }

  /**
   * How many of the sessions holding `item` (within its postings) have ids of at least `from`.
   * The newest id answers at once for the many items not seen since.
   */
  sessionsSince(item: number, from: number): number {
    return this.newestSession(item) < from ? 0 : countAtLeast(this.sessionsWith(item), from);
  }

  /** Room for item ids up to `item` in the per-item arrays, doubling. */
  private growItems(item: number): void {
    const size = Math.max(item + 1, 2 * this.counts.length, 1024);
    const counts = new Int32Array(size);
    counts.set(this.counts);
    const newest = new Int32Array(size).fill(NO_SESSION);
    newest.set(this.newest);
    this.counts = counts;
    this.newest = newest;
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.lengths.length + GROW_STEP);
    const inline = new Int32Array(size * INLINE);
    inline.set(this.inline);
    const lengths = new Uint8Array(size);
    lengths.set(this.lengths);
    this.inline = inline;
    this.lengths = lengths;
  }

  snapshot(): SessionIndexSnapshot {
    const { capacity, postingLimit, next, inline, lengths, overflow, postings, counts } = this;
    const postingStart = new Int32Array(postings.length + 1);
    for (let i = 0; i < postings.length; i++) postingStart[i + 1] = postingStart[i]! + postings[i]!.length;
    const postingIds = new Int32Array(postingStart[postings.length]!);
    for (let i = 0; i < postings.length; i++) postingIds.set(postings[i]!, postingStart[i]!);
    return { capacity, postingLimit, next, inline, lengths, overflow, postingStart, postingIds, counts };
  }

  static restore(s: SessionIndexSnapshot): SessionIndex {
    const index = new SessionIndex(s.capacity, s.postingLimit);
    index.load(s);
    return index;
  }

  /** Takes the records of a snapshot (of an index with the same capacity and posting limit). */
  protected load(s: SessionIndexSnapshot): void {
    this.next = s.next;
    this.inline = s.inline;
    this.lengths = s.lengths;
    this.overflow = s.overflow;
    this.postings = s.postings ?? unpack(s.postingStart!, s.postingIds!);
    this.counts = Int32Array.from(s.counts);
    this.newest = new Int32Array(this.counts.length).fill(NO_SESSION);
    this.postings.forEach((ids, item) => {
      if (ids.length > 0) this.newest[item] = ids[ids.length - 1]!;
    });
  }
}

/**
 * How many ids of an ascending list are at least `from`. Few are, for most items: the search
 * gallops back from the end (1, 2, 4... places) and bisects only the last step, so it reads the
 * list's tail instead of jumping across a list of a thousand ids.
 */
export function countAtLeast(ids: readonly number[], from: number): number {
  let hi = ids.length;
  let step = 1;
  while (hi > 0 && ids[hi - 1]! >= from) {
    const probe = Math.max(0, hi - step);
    if (ids[probe]! < from) break;
    hi = probe;
    step *= 2;
  }
  // ids[hi..] are all >= from; the first of them lies within [hi - step, hi].
  let lo = Math.max(0, hi - step);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return ids.length - lo;
}

function unpack(start: Int32Array, ids: Int32Array): number[][] {
  const lists: number[][] = [];
  for (let i = 0; i + 1 < start.length; i++) lists.push(Array.from(ids.subarray(start[i]!, start[i + 1]!)));
  return lists;
}
