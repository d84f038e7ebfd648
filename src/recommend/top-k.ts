/**
 * Sparse score accumulation over integer ids (interned items, indexed sessions) with a bounded
 * top-k selection, reused across requests. Scores live in an open-addressing table sized to what
 * one request touches, not in an array indexed by id: a request adds to a few thousand of a
 * million session ids, and a table of a few thousand slots stays in the processor's cache where
 * a million-slot array would miss it on nearly every add. The session-kNN engine keeps tables of
 * the same design in its WebAssembly kernel (kernel/knn-kernel.as.ts); the other strategies use these.
 */
const EMPTY = 0;

/**
 * Ids best first, with their scores at the same positions: views of buffers the board reuses,
 * valid until its next takeTop (two arrays grown by push on every request were a quarter of
 * the engine's garbage).
 */
export interface Ranking {
  items: Int32Array;
  scores: Float64Array;
}
const FIRST_BITS = 10;

export class ScoreBoard {
  private bits = FIRST_BITS;
  /** id + 1 per slot (EMPTY: free), its score, and how many adds made it. */
  private keys = new Int32Array(1 << FIRST_BITS);
  private values = new Float64Array(1 << FIRST_BITS);
  private adds = new Int32Array(1 << FIRST_BITS);
  /**
   * Occupied slots in the order their ids were first added: a typed array with a count, since
   * emptying a plain array (length = 0) drops its storage and every request would grow it again.
   */
  private slots = new Int32Array(1 << (FIRST_BITS - 1));
  private used = 0;
  // Selection scratch: the ranking under construction, best first.
  private rankItems = new Int32Array(64);
  private rankScores = new Float64Array(64);
  // The accepted ranking handed out.
  private topItems = new Int32Array(64);
  private topScores = new Float64Array(64);

  /** Ids holding a score. */
  get size(): number {
    return this.used;
  }

  /** The i-th id to have been given a score (i < size). */
  itemAt(i: number): number {
    return this.keys[this.slots[i]!]! - 1;
  }

  scoreAt(i: number): number {
    return this.values[this.slots[i]!]!;
  }

  /** Multiplies the i-th id's score by a positive factor. */
  scaleAt(i: number, factor: number): void {
    this.values[this.slots[i]!]! *= factor;
  }

  /**
   * Adds a positive score to an id (zero or less is ignored). Returns nothing, like scaleAt: a
   * returned double is a heap allocation wherever the call is not inlined, on the hottest path.
   */
  add(item: number, score: number): void {
    if (!(score > 0)) return;
    const key = item + 1;
    let slot = this.find(key);
    if (this.keys[slot] === key) {
      this.values[slot]! += score;
      this.adds[slot]!++;
      return;
    }
    if (2 * (this.used + 1) > this.keys.length) {
      this.grow();
      slot = this.find(key);
    }
    this.keys[slot] = key;
    this.values[slot] = score;
    this.adds[slot] = 1;
    this.slots[this.used++] = slot;
  }

  /** Adds each score of `other` times `factor`, in the order `other` first gave them. */
  addAll(other: ScoreBoard, factor: number): void {
    const { slots, keys, values, used } = other;
    for (let t = 0; t < used; t++) {
      const slot = slots[t]!;
      this.add(keys[slot]! - 1, values[slot]! * factor);
    }
  }

  get(item: number): number {
    const slot = this.find(item + 1);
    return this.keys[slot] === EMPTY ? 0 : this.values[slot]!;
  }

  /** How many adds an id's score sums (0 for none). */
  addsTo(item: number): number {
    const slot = this.find(item + 1);
    return this.keys[slot] === EMPTY ? 0 : this.adds[slot]!;
  }

  clear(): void {
    for (let i = 0; i < this.used; i++) this.keys[this.slots[i]!] = EMPTY;
    this.used = 0;
  }

  /**
   * Ids with the highest scores, best first, among those `accept` lets through; clears the board.
   * `accept` is asked only about ids that would make the list (rejections are rare: an item in
   * the cart, an unavailable one), so a costly rule check runs about k times, not once per id;
   * it may be asked again about an id when many are rejected. Two flat arrays, not a pair per id.
   */
  takeTop(k: number, accept: (item: number) => boolean): Ranking {
    if (this.topItems.length < k) {
      this.topItems = new Int32Array(k);
      this.topScores = new Float64Array(k);
    }
    let taken = 0;
    for (let want = k; ; want *= 2) {
      const n = this.rank(want);
      taken = 0;
      for (let r = 0; r < n && taken < k; r++) {
        const item = this.rankItems[r]!;
        if (!accept(item)) continue;
        this.topItems[taken] = item;
        this.topScores[taken++] = this.rankScores[r]!;
      }
      if (taken === k || n < want) break;
    }
    this.clear();
    return { items: this.topItems.subarray(0, taken), scores: this.topScores.subarray(0, taken) };
  }

  /** Puts the `want` best ids into the ranking scratch, best first (ties: first added first); returns how many. */
  private rank(want: number): number {
    if (this.rankItems.length < want) {
      this.rankItems = new Int32Array(want);
      this.rankScores = new Float64Array(want);
    }
    const items = this.rankItems;
    const scores = this.rankScores;
    const { slots, keys, values, used } = this;
    let n = 0;
    for (let t = 0; t < used; t++) {
      const slot = slots[t]!;
      const score = values[slot]!;
      if (n === want && score <= scores[want - 1]!) continue;
      let at = n < want ? n++ : want - 1;
      while (at > 0 && scores[at - 1]! < score) {
        items[at] = items[at - 1]!;
        scores[at] = scores[at - 1]!;
        at--;
      }
      items[at] = keys[slot]! - 1;
      scores[at] = score;
    }
    return n;
  }

  /** The slot holding `key`, or the free slot where it would go (linear probing, Fibonacci hashing). */
  private find(key: number): number {
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
    while (this.keys[slot] !== key && this.keys[slot] !== EMPTY) slot = (slot + 1) & mask;
    return slot;
  }

  /** Doubles the table (kept at most half full, so probes stay short) and the slot list. */
  private grow(): void {
    const { keys: oldKeys, values: oldValues, adds: oldAdds, slots: oldSlots, used } = this;
    this.bits++;
    this.keys = new Int32Array(1 << this.bits);
    this.values = new Float64Array(1 << this.bits);
    this.adds = new Int32Array(1 << this.bits);
    this.slots = new Int32Array(1 << (this.bits - 1));
    for (let i = 0; i < used; i++) {
      const old = oldSlots[i]!;
      const slot = this.find(oldKeys[old]!);
      this.keys[slot] = oldKeys[old]!;
      this.values[slot] = oldValues[old]!;
      this.adds[slot] = oldAdds[old]!;
      this.slots[i] = slot;
    }
  }
}
