/**
 * Sparse score accumulation over interned item ids with a bounded top-k selection: a scratch
 * array indexed by item (reused across requests) instead of a Map, and insertion into a k-sized
 * ranking instead of sorting every candidate.
 */
export class ScoreBoard {
  private scores = new Float64Array(1024);
  private touched: number[] = [];

  /** Adds a positive score to an item; returns the item's score before. */
  add(item: number, score: number): number {
    if (!(score > 0)) return this.get(item); // zero never marks an item touched: touched stays duplicate-free
    if (item >= this.scores.length) {
      const grown = new Float64Array(Math.max(item + 1, this.scores.length * 2));
      grown.set(this.scores);
      this.scores = grown;
    }
    const before = this.scores[item]!;
    if (before === 0) this.touched.push(item);
    this.scores[item] = before + score;
    return before;
  }

  get(item: number): number {
    return item < this.scores.length ? this.scores[item]! : 0;
  }

  forEach(fn: (item: number, score: number) => void): void {
    for (const item of this.touched) fn(item, this.scores[item]!);
  }

  clear(): void {
    for (const item of this.touched) this.scores[item] = 0;
    this.touched.length = 0;
  }

  /** Items with the highest scores, best first, among those `accept` lets through; clears the board. */
  takeTop(k: number, accept: (item: number) => boolean): Array<[item: number, score: number]> {
    const top: Array<[number, number]> = [];
    for (const item of this.touched) {
      const score = this.scores[item]!;
      this.scores[item] = 0;
      if (top.length === k && score <= top[k - 1]![1]) continue;
      if (!accept(item)) continue;
      let at = top.length;
      while (at > 0 && top[at - 1]![1] < score) at--;
      top.splice(at, 0, [item, score]);
      if (top.length > k) top.pop();
    }
    this.touched.length = 0;
    return top;
  }
}
