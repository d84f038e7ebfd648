/**
 * Gradient-boosted decision trees for the learned ranker: logistic loss, Newton leaf values,
 * split search over per-feature quantile bins (histograms of gradients), depth-limited trees.
 * Written here because no maintained JavaScript GBDT trains in-process; the model is a small
 * JSON file of flat arrays, compiled into typed arrays for scoring (one short path per tree).
 */
import { hasWebAssembly, LANES, simdScorer, SLOT_LEAVES, type SimdScorer } from './simd-scorer.ts';

export const GBDT_FORMAT = 'sessionwise-gbdt-1';

export interface Tree {
  /** Split feature per node; -1 marks a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf value (already scaled by the learning rate). */
  value: number[];
}

export interface GbdtModel {
  format: typeof GBDT_FORMAT;
  featureNames: string[];
  baseScore: number;
  trees: Tree[];
}

export interface GbdtOptions {
  trees: number;
  depth: number;
  learningRate: number;
  /** L2 regularisation of leaf values. */
  lambda: number;
  /** Least hessian (about: examples weighted by p(1-p)) in a child. */
  minChildWeight: number;
  bins: number;
  onTree?: (done: number) => void;
}

export const DEFAULT_GBDT_OPTIONS: GbdtOptions = { trees: 100, depth: 5, learningRate: 0.1, lambda: 1, minChildWeight: 1, bins: 32 };

/** Feature groups ANDed per pass over the slots: six, fewer loads for a larger table (1.2 MB for the Diginetica model; eight groups, 0.5 MB, scored 7-20% slower). */
const PASS = 6;
/** Most joint bins a merged feature group may have (mask table rows). */
const MAX_GROUP_BINS = 1024;
/** The same for the SIMD scorer: the Diginetica model's table is 104 KB in 11 groups, against 1.2 MB in 6 (and 2-4% faster). */
const SIMD_GROUP_BINS = 64;

/**
 * A model compiled for scoring, QuickScorer style. Each feature's thresholds over all trees
 * form a sorted set; a value's bin is the number of them it is not `<=` to (NaN: all of them),
 * so a node on threshold rank k sends the value right exactly when bin > k. The leaves of each
 * tree are numbered left to right as bits of 32-bit words; for each bin, a feature's mask keeps
 * the leaves that its nodes do not rule out (a node that sends the value right rules out its
 * left subtree). A row's leaf in a tree is then the lowest bit of the AND of its features' masks:
 * independent loads instead of a chain of dependent node steps. Features are merged into groups
 * where the joint bins stay few (the rarely split ones), one mask load per group: at most `PASS`
 * groups for the JavaScript loop, small tables for the SIMD scorer.
 */
export interface CompiledModel {
  baseScore: number;
  trees: number;
  /** Mask words over all trees. */
  slots: number;
  /** Mask words a table row: slots rounded up to the SIMD width, the padding all ones. */
  rowWidth: number;
  /** First slot of each tree. */
  firstSlot: Int32Array;
  /** Features that some tree splits on. */
  features: Int32Array;
  /** Thresholds of each of `features`, ascending, padded with Infinity to `searchSize` (2^k - 1) for a fixed-step search. */
  thresholds: Float64Array;
  searchSize: number;
  /** Real thresholds per feature: the padding puts NaN beyond them, so its bin is clamped to this. */
  binLimit: Int32Array;
  /** Per feature: its group, and the weight (times `rowWidth`) of its bin in the group's table row. */
  group: Int32Array;
  stride: Int32Array;
  /** Per group, padded to a multiple of PASS: its first table row times `rowWidth`; padding groups point to a row of all ones. */
  groupBase: Int32Array;
  /** masks[row * rowWidth + slot]: leaves of the slot still reachable for the row's joint bin. */
  masks: Int32Array;
  /** value[slot * 32 + bit]: the leaf values. */
  value: Float64Array;
  /** Scratch of one row: group offsets, and reachable leaves per slot. */
  offsets: Int32Array;
  reach: Int32Array;
  /** The generated SIMD scorer, for models whose trees fit one mask word each (see simd-scorer.ts); the JavaScript loop scores the others. */
  simd: SimdScorer | undefined;
}

/** `simd: false` keeps a model that the SIMD scorer could take on the JavaScript loop (tests compare the two). */
export function compile(model: GbdtModel, options: { simd?: boolean } = {}): CompiledModel {
  const thresholdSets = new Map<number, Set<number>>();
  for (const tree of model.trees) {
    tree.feature.forEach((f, node) => {
      if (f < 0) return;
      const threshold = tree.threshold[node]!;
      if (Number.isNaN(threshold)) throw new Error('a NaN threshold cannot be binned');
      if (!thresholdSets.has(f)) thresholdSets.set(f, new Set());
      thresholdSets.get(f)!.add(threshold);
    });
  }
  const features = [...thresholdSets.keys()].sort((a, b) => a - b);
  const sorted = features.map((f) => Float64Array.from(thresholdSets.get(f)!).sort());
  const rank = new Map(features.map((f, i) => [f, new Map([...sorted[i]!].map((t, k) => [t, k]))]));
  const bins = sorted.map((t) => t.length + 1);
  let searchSize = 0;
  while (searchSize < Math.max(0, ...bins.map((b) => b - 1))) searchSize = 2 * searchSize + 1;

  // Leaves left to right, `SLOT_LEAVES` to a slot; per feature and bin, the leaves still reachable.
  const leafCounts = model.trees.map((tree) => tree.feature.filter((f) => f < 0).length);
  const firstSlot = new Int32Array(model.trees.length);
  let slots = 0;
  leafCounts.forEach((n, t) => {
    firstSlot[t] = slots;
    slots += Math.ceil(n / SLOT_LEAVES);
  });
  const value = new Float64Array(slots * SLOT_LEAVES);
  const featureMasks = bins.map((b) => new Int32Array(b * slots).fill(-1));
  model.trees.forEach((tree, t) => {
    let leaves = 0;
    const visit = (node: number): void => {
      const f = tree.feature[node]!;
      if (f < 0) {
        value[firstSlot[t]! * SLOT_LEAVES + leaves++] = tree.value[node]!;
        return;
      }
      const from = leaves;
      visit(tree.left[node]!);
      const i = features.indexOf(f);
      const k = rank.get(f)!.get(tree.threshold[node]!)!;
      for (let leaf = from; leaf < leaves; leaf++) {
        const slot = firstSlot[t]! + Math.floor(leaf / SLOT_LEAVES);
        const mask = featureMasks[i]!;
        for (let bin = k + 1; bin < bins[i]!; bin++) mask[bin * slots + slot] = mask[bin * slots + slot]! & ~(1 << leaf % SLOT_LEAVES);
      }
      visit(tree.right[node]!);
    };
    visit(0);
  });

  // Merge the pair of groups whose joint table grows least: for the JavaScript loop while there
  // are more than PASS; for the SIMD scorer, which ANDs any number of groups in one pass, only
  // while a pair's joint bins stay few, as a group costs it little and a larger table misses cache.
  const forSimd = options.simd !== false && slots === model.trees.length && hasWebAssembly;
  const maxGroupBins = forSimd ? SIMD_GROUP_BINS : MAX_GROUP_BINS;
  const groups = features.map((_, i) => [i]);
  const size = (g: number[]): number => g.reduce((p, i) => p * bins[i]!, 1);
  while (forSimd || groups.length > PASS) {
    let best: [number, number] | undefined;
    let bestGrowth = Infinity;
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        const joint = size(groups[a]!) * size(groups[b]!);
        const growth = joint - size(groups[a]!) - size(groups[b]!);
        if (joint <= maxGroupBins && growth < bestGrowth) {
          bestGrowth = growth;
          best = [a, b];
        }
      }
    }
    if (!best) break;
    groups[best[0]]!.push(...groups.splice(best[1], 1)[0]!);
  }
  const paddedGroups = Math.max(1, Math.ceil(groups.length / PASS)) * PASS; // no split at all: one pass over the ones row
  const rows = groups.reduce((n, g) => n + size(g), 0) + 1;
  const rowWidth = Math.ceil(slots / LANES) * LANES;
  const masks = new Int32Array(rows * rowWidth).fill(-1);
  const group = new Int32Array(features.length);
  const stride = new Int32Array(features.length);
  const groupBase = new Int32Array(paddedGroups).fill((rows - 1) * rowWidth);
  let row = 0;
  groups.forEach((g, gi) => {
    groupBase[gi] = row * rowWidth;
    let weight = 1;
    for (const i of g) {
      group[i] = gi;
      stride[i] = weight * rowWidth;
      weight *= bins[i]!;
    }
    for (let joint = 0; joint < weight; joint++, row++) {
      let rest = joint;
      for (const i of g) {
        const bin = rest % bins[i]!;
        rest = Math.floor(rest / bins[i]!);
        for (let s = 0; s < slots; s++) masks[row * rowWidth + s] = masks[row * rowWidth + s]! & featureMasks[i]![bin * slots + s]!;
      }
    }
  });

  const thresholds = new Float64Array(features.length * searchSize).fill(Infinity);
  sorted.forEach((t, i) => thresholds.set(t, i * searchSize));
  const compiled: CompiledModel = {
    baseScore: model.baseScore,
    trees: model.trees.length,
    slots,
    rowWidth,
    firstSlot,
    features: Int32Array.from(features),
    thresholds,
    searchSize,
    binLimit: Int32Array.from(bins, (b) => b - 1),
    group,
    stride,
    groupBase,
    masks,
    value,
    offsets: new Int32Array(paddedGroups),
    reach: new Int32Array(slots),
    simd: undefined,
  };
  if (forSimd) {
    compiled.simd = simdScorer(compiled, Math.max(1, groups.length), model.featureNames.length);
    // The scorer holds the table in its memory; keep that one, not a second copy.
    if (compiled.simd) compiled.masks = compiled.simd.masks;
  }
  return compiled;
}

/**
 * Raw scores (log-odds) of `count` rows of `rows` (row-major, `width` values a row), into `out`.
 * Per row: bin each feature by a branch-free search, AND the masks of the groups per slot, and
 * add the trees' leaf values in tree order (so the sums are those of a walk down each tree).
 */
export function scoreRows(c: CompiledModel, rows: Float64Array, width: number, count: number, out: Float64Array): void {
  if (c.simd && c.simd.width === width) return c.simd.score(rows, count, out);
  for (let r = 0; r < count; r++) {
    locate(c, rows, r * width);
    out[r] = scoreBySlots(c);
  }
}

/** Sets `c.offsets` to the table rows of one row's groups. */
function locate(c: CompiledModel, rows: Float64Array, at: number): void {
  const { features, thresholds, searchSize, binLimit, group, stride, offsets } = c;
  offsets.set(c.groupBase);
  for (let i = 0, base = 0; i < features.length; i++, base += searchSize) {
    const x = rows[at + features[i]!]!;
    let bin = 0;
    for (let step = (searchSize + 1) >> 1; step > 0; step >>= 1) bin += step * +!(x <= thresholds[base + bin + step - 1]!);
    const g = group[i]!;
    offsets[g] = offsets[g]! + Math.min(bin, binLimit[i]!) * stride[i]!;
  }
}

/** Any model: the slots' reachable leaves first, PASS groups at a time, then each tree's first word with one. */
function scoreBySlots(c: CompiledModel): number {
  const { masks, value, offsets, reach, slots, firstSlot } = c;
  reach.fill(-1);
  for (let g = 0; g < offsets.length; g += PASS) {
    const o0 = offsets[g]!;
    const o1 = offsets[g + 1]!;
    const o2 = offsets[g + 2]!;
    const o3 = offsets[g + 3]!;
    const o4 = offsets[g + 4]!;
    const o5 = offsets[g + 5]!;
    for (let s = 0; s < slots; s++) reach[s] = reach[s]! & masks[o0 + s]! & masks[o1 + s]! & masks[o2 + s]! & masks[o3 + s]! & masks[o4 + s]! & masks[o5 + s]!;
  }
  let score = c.baseScore;
  for (let t = 0; t < c.trees; t++) {
    let s = firstSlot[t]!;
    while (reach[s] === 0) s++;
    const m = reach[s]!;
    score += value[s * SLOT_LEAVES + SLOT_LEAVES - 1 - Math.clz32(m & -m)]!;
  }
  return score;
}

/** Trains on `rows` (n x featureNames.length, row-major) with 0/1 labels. */
export function train(rows: Float64Array, labels: Uint8Array, featureNames: string[], options: GbdtOptions = DEFAULT_GBDT_OPTIONS): GbdtModel {
  const F = featureNames.length;
  const n = labels.length;
  if (rows.length !== n * F) throw new Error(`rows hold ${rows.length} values, expected ${n} x ${F}`);
  const { binned, edges } = binFeatures(rows, n, F, options.bins);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]!;
  const p0 = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, n)));
  const baseScore = Math.log(p0 / (1 - p0));
  const margin = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const trees: Tree[] = [];
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < options.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      grad[i] = p - labels[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-12);
    }
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    grow(tree, all, 0, { binned, edges, grad, hess, F, options });
    trees.push(tree);
    for (let i = 0; i < n; i++) margin[i] = margin[i]! + walk(tree, binned, i * F, edges);
    options.onTree?.(t + 1);
  }
  return { format: GBDT_FORMAT, featureNames, baseScore, trees };
}

interface GrowContext {
  binned: Uint8Array;
  edges: Float64Array[];
  grad: Float64Array;
  hess: Float64Array;
  F: number;
  options: GbdtOptions;
}

interface Histogram {
  grad: Float64Array;
  hess: Float64Array;
}

function histogram(rows: Int32Array, c: GrowContext): Histogram {
  const B = c.options.bins;
  const grad = new Float64Array(c.F * B);
  const hess = new Float64Array(c.F * B);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    const base = i * c.F;
    const g = c.grad[i]!;
    const h = c.hess[i]!;
    for (let f = 0; f < c.F; f++) {
      const at = f * B + c.binned[base + f]!;
      grad[at] = grad[at]! + g;
      hess[at] = hess[at]! + h;
    }
  }
  return { grad, hess };
}

/**
 * Adds the subtree for `rows` to `tree`; returns its node index. Only the smaller child's
 * histogram is built from rows; the larger one is the parent's minus it.
 */
function grow(tree: Tree, rows: Int32Array, depth: number, c: GrowContext, hist: Histogram = histogram(rows, c)): number {
  const node = tree.feature.length;
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push(0);
  const B = c.options.bins;
  let G = 0;
  let H = 0;
  for (let b = 0; b < B; b++) {
    G += hist.grad[b]!;
    H += hist.hess[b]!;
  }
  const { lambda, minChildWeight, learningRate } = c.options;
  tree.value[node] = (-G / (H + lambda)) * learningRate;
  if (depth >= c.options.depth || H < 2 * minChildWeight) return node;

  const parent = (G * G) / (H + lambda);
  let bestGain = 1e-9;
  let bestFeature = -1;
  let bestBin = -1;
  for (let f = 0; f < c.F; f++) {
    let gl = 0;
    let hl = 0;
    const bins = c.edges[f]!.length; // bins in use for this feature
    for (let b = 0; b < bins - 1; b++) {
      gl += hist.grad[f * B + b]!;
      hl += hist.hess[f * B + b]!;
      const gr = G - gl;
      const hr = H - hl;
      if (hl < minChildWeight || hr < minChildWeight) continue;
      const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        bestFeature = f;
        bestBin = b;
      }
    }
  }
  if (bestFeature < 0) return node;
  let leftCount = 0;
  for (let r = 0; r < rows.length; r++) if (c.binned[rows[r]! * c.F + bestFeature]! <= bestBin) leftCount++;
  const leftRows = new Int32Array(leftCount);
  const rightRows = new Int32Array(rows.length - leftCount);
  let l = 0;
  let rr = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    if (c.binned[i * c.F + bestFeature]! <= bestBin) leftRows[l++] = i;
    else rightRows[rr++] = i;
  }
  const smallIsLeft = leftRows.length <= rightRows.length;
  const small = histogram(smallIsLeft ? leftRows : rightRows, c);
  const large: Histogram = { grad: hist.grad, hess: hist.hess }; // the parent's arrays are not needed again
  for (let j = 0; j < large.grad.length; j++) {
    large.grad[j] = large.grad[j]! - small.grad[j]!;
    large.hess[j] = large.hess[j]! - small.hess[j]!;
  }
  tree.feature[node] = bestFeature;
  tree.threshold[node] = c.edges[bestFeature]![bestBin]!;
  tree.left[node] = grow(tree, leftRows, depth + 1, c, smallIsLeft ? small : large);
  tree.right[node] = grow(tree, rightRows, depth + 1, c, smallIsLeft ? large : small);
  return node;
}

/** Walks a tree on binned data (training-time margin update). */
function walk(tree: Tree, binned: Uint8Array, base: number, edges: Float64Array[]): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    const f = tree.feature[node]!;
    node = edges[f]![binned[base + f]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

/**
 * Quantile bins per feature: edges[f][b] is the largest value in bin b, so "value <= edge" is
 * the same test at training and at prediction time.
 */
function binFeatures(rows: Float64Array, n: number, F: number, maxBins: number): { binned: Uint8Array; edges: Float64Array[] } {
  if (maxBins > 256) throw new Error('at most 256 bins');
  const edges: Float64Array[] = [];
  const sampleStep = Math.max(1, Math.floor(n / 50_000));
  for (let f = 0; f < F; f++) {
    const sample: number[] = [];
    for (let i = 0; i < n; i += sampleStep) sample.push(rows[i * F + f]!);
    sample.sort((a, b) => a - b);
    const cuts: number[] = [];
    for (let b = 1; b <= maxBins; b++) {
      const v = sample[Math.min(sample.length - 1, Math.floor((b * sample.length) / maxBins) - 1)]!;
      if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
    }
    cuts[cuts.length - 1] = Infinity; // the last bin takes everything above
    edges.push(Float64Array.from(cuts));
  }
  const binned = new Uint8Array(n * F);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) {
      const v = rows[i * F + f]!;
      const e = edges[f]!;
      let lo = 0;
      let hi = e.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= e[mid]!) hi = mid;
        else lo = mid + 1;
      }
      binned[i * F + f] = lo;
    }
  }
  return { binned, edges };
}
