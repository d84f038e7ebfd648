/**
 * The session index for session-based nearest neighbours (the VMIS-kNN family): the item
 * sequences of the most recent sessions, and for each item the ids of the most recent sessions
 * that hold it. The stream appends to it as sessions progress, so a session is a neighbour for
 * the next shopper as soon as its event is applied. Memory is bounded twice: the newest
 * `capacity` sessions are kept (a ring), and each item keeps at most 2 x `postingLimit` ids.
 */
export const MAX_SEQUENCE = 64;

export interface SessionIndexSnapshot {
  capacity: number;
  postingLimit: number;
  next: number;
  sequences: Array<number[] | undefined>;
  times: number[];
  postings: number[][];
  counts: number[];
}

export class SessionIndex {
  private next = 0;
  // Grown by appending until the ring is full, then overwritten in place (dense arrays).
  private sequences: Array<number[] | undefined> = [];
  private times: number[] = [];
  private postings: number[][] = [];
  /** Sessions that ever held each item: postings are trimmed, this count is not. */
  private counts: number[] = [];

  constructor(
    readonly capacity = 1_000_000,
    readonly postingLimit = 1000,
  ) {}

  /** Sessions indexed so far (including aged-out ones). */
  get opened(): number {
    return this.next;
  }

  /** Starts a session record; returns its id. The oldest record ages out when the ring is full. */
  open(time: number): number {
    const id = this.next++;
    this.sequences[id % this.capacity] = [];
    this.times[id % this.capacity] = time;
    return id;
  }

  isLive(id: number): boolean {
    return id < this.next && id >= this.next - this.capacity;
  }

  append(id: number, item: number, time: number): void {
    if (!this.isLive(id)) return;
    const slot = id % this.capacity;
    const sequence = this.sequences[slot]!;
    if (sequence.length >= MAX_SEQUENCE) return;
    const seen = sequence.includes(item);
    sequence.push(item);
    if (time > this.times[slot]!) this.times[slot] = time;
    if (seen) return;
    let list = this.postings[item];
    if (!list) {
      while (this.postings.length <= item) {
        this.postings.push([]);
        this.counts.push(0);
      }
      list = this.postings[item]!;
    }
    list.push(id);
    this.counts[item]!++;
    // Amortised trim: keep the newest postingLimit ids once twice that many have gathered.
    if (list.length >= 2 * this.postingLimit) list.splice(0, list.length - this.postingLimit);
  }

  /** The items of a session, in click order; empty once aged out. */
  sequence(id: number): readonly number[] {
    return this.isLive(id) ? this.sequences[id % this.capacity]! : [];
  }

  /** Last activity time of a session. */
  time(id: number): number {
    return this.times[id % this.capacity]!;
  }

  /** Calls `fn` with the ids of up to `limit` most recent live sessions that hold `item`, newest first. */
  forEachRecentSession(item: number, limit: number, fn: (id: number) => void): void {
    const list = this.postings[item];
    if (!list) return;
    const oldestLive = this.next - this.capacity;
    for (let i = list.length - 1, n = 0; i >= 0 && n < limit; i--) {
      const id = list[i]!;
      if (id < oldestLive) break;
      fn(id);
      n++;
    }
  }

  /** How many sessions ever held the item (for IDF). */
  sessionCount(item: number): number {
    return this.counts[item] ?? 0;
  }

  snapshot(): SessionIndexSnapshot {
    return { capacity: this.capacity, postingLimit: this.postingLimit, next: this.next, sequences: this.sequences, times: this.times, postings: this.postings, counts: this.counts };
  }

  static restore(s: SessionIndexSnapshot): SessionIndex {
    const index = new SessionIndex(s.capacity, s.postingLimit);
    index.next = s.next;
    index.sequences = s.sequences;
    index.times = s.times;
    index.postings = s.postings;
    index.counts = s.counts;
    return index;
  }
}
