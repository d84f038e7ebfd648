/**
 * The session-kNN engine's inner loops in WebAssembly (AssemblyScript; `npm run build:kernel`).
 * The same arithmetic in the same order as the JavaScript they replaced, so the rankings are the
 * same to the last bit; in WebAssembly the score tables' probes and the top-k insertions run
 * without bounds checks or type guards (about 2x faster in an ad-hoc comparison).
 *
 * The memory holds only what one request works on; knn-kernel.ts (the JavaScript side) lays the
 * regions out, writes the inputs and reads the outputs through typed-array views. Region offsets
 * (bytes) and sizes are globals it sets.
 *
 * Two score tables, open addressing with linear probing and Fibonacci hashing, keys stored as
 * id + 1 (0: free), each with the list of its occupied slots in the order ids were first added:
 * - the similarity table: session id -> summed weight of the shared items;
 * - the item table: item id -> kNN score, how many neighbours added to it, and the blended score.
 */

// The request's lists of recent session ids, each ascending, end to end; their lengths and weights.
export let lists: usize = 0;
export let listLengths: usize = 0;
export let listWeights: usize = 0;
// The similarity table (2^similarityBits slots).
export let similarityKeys: usize = 0;
export let similarityScores: usize = 0;
export let similaritySlots: usize = 0;
export let similarityBits: i32 = 0;
// The neighbours: ids and similarities best first, their sequences (sequenceStride items each) and lengths.
export let neighbourIds: usize = 0;
export let neighbourScores: usize = 0;
export let sequences: usize = 0;
export let sequenceLengths: usize = 0;
export let sequenceStride: i32 = 0;
// The session's items, one bit per item id, and the weight of each distance within a session.
export let members: usize = 0;
export let memberWords: i32 = 0;
export let distanceWeights: usize = 0;
// Extra (item, score) additions to the blend, in order; the candidates asked about and their answers.
export let extraItems: usize = 0;
export let extraScores: usize = 0;
export let askedItems: usize = 0;
export let answerKnn: usize = 0;
export let answerAdds: usize = 0;
// The item table (2^itemBits slots), the IDF factor of each occupied slot, and the ranking output.
export let itemKeys: usize = 0;
export let itemKnn: usize = 0;
export let itemAdds: usize = 0;
export let itemBlended: usize = 0;
export let itemSlots: usize = 0;
export let itemBits: i32 = 0;
export let itemFactors: usize = 0;
export let rankItems: usize = 0;
export let rankScores: usize = 0;

let similarityUsed: i32 = 0;
let itemUsed: i32 = 0;

/** Occupied slots of the item table. */
export function itemCount(): i32 {
  return itemUsed;
}

@inline
function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

@inline
function setI32(base: usize, i: i32, value: i32): void {
  store<i32>(base + (<usize>i << 2), value);
}

@inline
function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

@inline
function setF64(base: usize, i: i32, value: f64): void {
  store<f64>(base + (<usize>i << 3), value);
}

/** The slot holding `key`, or the free slot where it would go. */
@inline
function find(keys: usize, bits: i32, key: i32): i32 {
  const mask = (1 << bits) - 1;
  let slot = <i32>(<u32>(key * <i32>0x9e3779b1) >> <u32>(32 - bits));
  while (true) {
    const at = i32At(keys, slot);
    if (at == key || at == 0) return slot;
    slot = (slot + 1) & mask;
  }
}

/** Adds a positive score (zero or less, or NaN, is ignored) to a session's similarity. */
@inline
function addSimilarity(id: i32, score: f64): void {
  if (!(score > 0)) return;
  const key = id + 1;
  const slot = find(similarityKeys, similarityBits, key);
  if (i32At(similarityKeys, slot) == key) {
    setF64(similarityScores, slot, f64At(similarityScores, slot) + score);
    return;
  }
  setI32(similarityKeys, slot, key);
  setF64(similarityScores, slot, score);
  setI32(similaritySlots, similarityUsed++, slot);
}

/** The slot of an item in the item table, added (no kNN score, no adds, no blend) when new. */
@inline
function itemSlot(item: i32): i32 {
  const key = item + 1;
  const slot = find(itemKeys, itemBits, key);
  if (i32At(itemKeys, slot) != key) {
    setI32(itemKeys, slot, key);
    setF64(itemKnn, slot, 0);
    setI32(itemAdds, slot, 0);
    setF64(itemBlended, slot, 0);
    setI32(itemSlots, itemUsed++, slot);
  }
  return slot;
}

/**
 * Writes the `want` best of `used` slots by score, best first (ties: the first added first), as
 * ids and scores; returns how many. An insertion into the sorted prefix, skipping at once what
 * cannot beat the last kept.
 */
@inline
function rank(keys: usize, scores: usize, slots: usize, used: i32, want: i32, outIds: usize, outScores: usize): i32 {
  if (want <= 0) return 0;
  let n = 0;
  for (let t = 0; t < used; t++) {
    const slot = i32At(slots, t);
    const score = f64At(scores, slot);
    if (n == want && score <= f64At(outScores, want - 1)) continue;
    let at = n < want ? n++ : want - 1;
    while (at > 0 && f64At(outScores, at - 1) < score) {
      setI32(outIds, at, i32At(outIds, at - 1));
      setF64(outScores, at, f64At(outScores, at - 1));
      at--;
    }
    setI32(outIds, at, i32At(keys, slot) - 1);
    setF64(outScores, at, score);
  }
  return n;
}

@inline
function isMember(item: i32): bool {
  const word = item >>> 5;
  return word < memberWords && (i32At(members, word) & (1 << (item & 31))) != 0;
}

/**
 * Step 2: sums each list's weight into the similarity of the sessions it holds, newest first,
 * stopping at the first id below `oldest` (aged out) and skipping `own`; then writes the `k` most
 * similar to the neighbour arrays and empties the table. Returns how many neighbours.
 */
export function similarity(listCount: i32, own: i32, oldest: i32, k: i32): i32 {
  let at = lists;
  for (let s = 0; s < listCount; s++) {
    const length = i32At(listLengths, s);
    const weight = f64At(listWeights, s);
    for (let i = length - 1; i >= 0; i--) {
      const id = i32At(at, i);
      if (id < oldest) break;
      if (id != own) addSimilarity(id, weight);
    }
    at += <usize>length << 2;
  }
  const n = rank(similarityKeys, similarityScores, similaritySlots, similarityUsed, k, neighbourIds, neighbourScores);
  for (let t = 0; t < similarityUsed; t++) setI32(similarityKeys, i32At(similaritySlots, t), 0);
  similarityUsed = 0;
  return n;
}

/**
 * Step 3: each neighbour adds its similarity to its items, times the weight of the item's
 * distance from the neighbour's last click that the session shares. Returns the items scored.
 */
export function scoreNeighbours(count: i32): i32 {
  for (let n = 0; n < count; n++) {
    const similarity = f64At(neighbourScores, n);
    const length = i32At(sequenceLengths, n);
    const sequence = sequences + (<usize>(n * sequenceStride) << 2);
    let lastShared = -1;
    for (let j = length - 1; j >= 0 && lastShared < 0; j--) if (isMember(i32At(sequence, j))) lastShared = j;
    for (let j = 0; j < length; j++) {
      const score = similarity * f64At(distanceWeights, lastShared < 0 ? 0 : abs(j - lastShared));
      if (!(score > 0)) continue;
      const slot = itemSlot(i32At(sequence, j));
      setF64(itemKnn, slot, f64At(itemKnn, slot) + score);
      setI32(itemAdds, slot, i32At(itemAdds, slot) + 1);
    }
  }
  return itemUsed;
}

/**
 * Step 3's end and step 4: multiplies each kNN score by its slot's IDF factor (when `byFactors`),
 * blends kNN scores scaled so that the largest is 1 with the extra additions (in order), and
 * returns that scale (0 without kNN scores).
 */
export function blend(byFactors: bool, extras: i32): f64 {
  let max: f64 = 0;
  for (let t = 0; t < itemUsed; t++) {
    const slot = i32At(itemSlots, t);
    if (byFactors) setF64(itemKnn, slot, f64At(itemKnn, slot) * f64At(itemFactors, t));
    const score = f64At(itemKnn, slot);
    if (score > max) max = score;
  }
  const scale = max > 0 ? 1 / max : 0;
  // Every kNN score is above 0 and at most max, so each scaled one is in (0, 1]: none of them is
  // a non-positive addition the blend would skip.
  for (let t = 0; t < itemUsed; t++) {
    const slot = i32At(itemSlots, t);
    setF64(itemBlended, slot, f64At(itemKnn, slot) * scale);
  }
  for (let e = 0; e < extras; e++) {
    const score = f64At(extraScores, e);
    if (!(score > 0)) continue;
    const slot = itemSlot(i32At(extraItems, e));
    setF64(itemBlended, slot, f64At(itemBlended, slot) + score);
  }
  return scale;
}

/** The `want` best items by blended score into the ranking output; returns how many. */
export function rankBlended(want: i32): i32 {
  return rank(itemKeys, itemBlended, itemSlots, itemUsed, want, rankItems, rankScores);
}

/** Each asked item's kNN score (after IDF, before scaling) and neighbour adds (0 for an item not scored). */
export function describe(count: i32): void {
  for (let r = 0; r < count; r++) {
    const key = i32At(askedItems, r) + 1;
    const slot = find(itemKeys, itemBits, key);
    const found = i32At(itemKeys, slot) == key;
    setF64(answerKnn, r, found ? f64At(itemKnn, slot) : 0);
    setI32(answerAdds, r, found ? i32At(itemAdds, slot) : 0);
  }
}

/** Empties the item table. */
export function clearItems(): void {
  for (let t = 0; t < itemUsed; t++) setI32(itemKeys, i32At(itemSlots, t), 0);
  itemUsed = 0;
}
