/**
 * The session index for session-based nearest neighbours (the VMIS-kNN family): the item
 * sequences of the most recent sessions, and for each item the ids of the most recent sessions
 * that hold it. The stream appends to it as sessions progress, so a session is a neighbour for
 * the next shopper as soon as its event is applied. Memory is bounded twice: the newest
 * `capacity` sessions are kept (a ring), and each item keeps at most 2 x `postingLimit` ids.
 *
 * Sequences live in flat typed arrays: a row of INLINE items a session (most sessions are
 * shorter); a longer session keeps its first SPILL_AT items in its row, and the row's last place
 * points to a chunk of a shared pool that holds the rest. About 33 bytes a session plus its
 * postings, and copying a long neighbour session costs two reads, not a map lookup.
 */
import { PackingArray, runSteps, STEP_ITEMS, type Steps } from './checkpoint-file.ts';

export const MAX_SEQUENCE = 64;
const INLINE = 8;
/** Where a long session's row points to its tail chunk. */
const SPILL_AT = INLINE - 1;
/** Items a tail chunk holds: those from SPILL_AT on. */
const TAIL = MAX_SEQUENCE - SPILL_AT;
const GROW_STEP = 1 << 16;
const NO_SESSIONS: readonly number[] = [];
const NO_SESSION = -1;

export interface SessionIndexSnapshot {
  capacity: number;
  postingLimit: number;
  next: number;
  inline: Int32Array;
  lengths: Uint8Array;
  /** The tail chunks (TAIL items each) and the free ones among them. */
  tails?: Int32Array;
  freeTails?: Int32Array;
  /** Checkpoints from before the pool: items past INLINE by session id (rows hold INLINE items). */
  overflow?: Map<number, number[]>;
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
  private tails: Int32Array = new Int32Array(0);
  /** Chunks handed out so far (free ones included), and those given back by aged-out sessions. */
  private tailChunks = 0;
  private freeTails: number[] = [];
  private postings: number[][] = [];
  /** Sessions that ever held each item: postings are trimmed, this count is not. */
  private counts = new Int32Array(0);
  /**
   * The newest session holding each item (NO_SESSION: none), beside the counts in flat arrays: a
   * request reads both for each of its candidates, where a posting list's tail is two or three
   * cache misses away (array, elements, tail).
   */
  private newest = new Int32Array(0);
  /** What snapshots pack the postings into (valid until the next snapshot). */
  private readonly packedPostings = new PackingArray();
  /** Where copySessions leaves what its first pass read, so that the compiler keeps the reads. */
  private touched = 0;
  /** Scratch of copySessions: where each copied session's row starts. */
  private rowStarts = new Int32Array(0);

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
    // The session aging out of this slot gives back its tail.
    else if (this.lengths[slot]! > INLINE) this.freeTails.push(this.inline[slot * INLINE + SPILL_AT]!);
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
    const row = slot * INLINE;
    if (length < INLINE) this.inline[row + length] = item;
    else {
      if (length === INLINE) {
        const chunk = this.takeTail();
        this.tails[chunk * TAIL] = this.inline[row + SPILL_AT]!;
        this.inline[row + SPILL_AT] = chunk;
      }
      this.tails[this.inline[row + SPILL_AT]! * TAIL + length - SPILL_AT] = item;
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
    const slot = id % this.capacity;
    const row = slot * INLINE;
    if (j < SPILL_AT || this.lengths[slot]! <= INLINE) return this.inline[row + j]!;
    return this.tails[this.inline[row + SPILL_AT]! * TAIL + j - SPILL_AT]!;
  }

  /**
   * Copies the items (click order) of sessions `ids[0..count)` into `into`, session n from
   * n x MAX_SEQUENCE, and their lengths (0 once aged out) into `lengths`. Neighbours are scattered
   * over the ring, so nearly every row is a cache miss: a first pass reads every length and the
   * first word of every row, short independent reads for which the processor waits on many misses
   * at once (1.02-1.07x a request, in-process); a second pass does the same for the long sessions'
   * tail chunks, whose places the rows hold (1.053x and 1.077x served requests, `recommend-ab`);
   * the copy then finds rows and tails in cache.
   */
  copySessions(ids: Int32Array, count: number, into: Int32Array, lengths: Int32Array): void {
    const { inline, tails, capacity } = this;
    // Each row's start, found once (an integer division) for the three passes below.
    if (this.rowStarts.length < count) this.rowStarts = new Int32Array(count);
    const rows = this.rowStarts;
    let touched = 0;
    for (let n = 0; n < count; n++) {
      const id = ids[n]!;
      const slot = id % capacity;
      const row = slot * INLINE;
      rows[n] = row;
      lengths[n] = this.isLive(id) ? this.lengths[slot]! : 0;
      touched |= inline[row]!;
    }
    for (let n = 0; n < count; n++) if (lengths[n]! > INLINE) touched |= tails[inline[rows[n]! + SPILL_AT]! * TAIL]!;
    this.touched = touched;
    for (let n = 0; n < count; n++) {
      const length = lengths[n]!;
      const from = rows[n]!;
      const to = n * MAX_SEQUENCE;
      if (length <= INLINE) {
        for (let j = 0; j < length; j++) into[to + j] = inline[from + j]!;
        continue;
      }
      for (let j = 0; j < SPILL_AT; j++) into[to + j] = inline[from + j]!;
      const tail = inline[from + SPILL_AT]! * TAIL - SPILL_AT;
      for (let j = SPILL_AT; j < length; j++) into[to + j] = tails[tail + j]!;
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

  /** A free tail chunk, growing the pool by half when none is left. */
  private takeTail(): number {
    const free = this.freeTails.pop();
    if (free !== undefined) return free;
    if ((this.tailChunks + 1) * TAIL > this.tails.length) {
      const grown = new Int32Array(Math.max(64, Math.ceil(this.tailChunks * 1.5) + 1) * TAIL);
      grown.set(this.tails);
      this.tails = grown;
    }
    return this.tailChunks++;
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
    return runSteps(this.snapshotSteps());
  }

  /** The snapshot (valid until the next one), postings packed item by item, yielding every STEP_ITEMS items. */
  *snapshotSteps(): Steps<SessionIndexSnapshot> {
    const { capacity, postingLimit, next, inline, lengths, postings, counts } = this;
    const postingStart = new Int32Array(postings.length + 1);
    for (let i = 0; i < postings.length; i++) postingStart[i + 1] = postingStart[i]! + postings[i]!.length;
    const postingIds = this.packedPostings.take(postingStart[postings.length]!);
    for (let i = 0; i < postings.length; i++) {
      postingIds.set(postings[i]!, postingStart[i]!);
      if (i % STEP_ITEMS === STEP_ITEMS - 1) yield;
    }
    // The chunks in use (a view: the pool's spare room is not written).
    const tails = this.tails.subarray(0, this.tailChunks * TAIL);
    return { capacity, postingLimit, next, inline, lengths, tails, freeTails: Int32Array.from(this.freeTails), postingStart, postingIds, counts };
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
    this.tails = s.tails ?? new Int32Array(0);
    this.tailChunks = this.tails.length / TAIL;
    this.freeTails = Array.from(s.freeTails ?? []);
    // An older checkpoint's long sessions move their tails into the pool.
    s.overflow?.forEach((tail, id) => {
      if (!this.isLive(id)) return;
      const row = (id % this.capacity) * INLINE;
      const chunk = this.takeTail();
      this.tails[chunk * TAIL] = this.inline[row + SPILL_AT]!;
      this.tails.set(tail.slice(0, TAIL - 1), chunk * TAIL + 1);
      this.inline[row + SPILL_AT] = chunk;
    });
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
