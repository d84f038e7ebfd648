/**
 * Gradient-boosted decision trees for the learned ranker: logistic loss, Newton leaf values,
 * split search over per-feature quantile bins (histograms of gradients), depth-limited trees.
 * Written here because no maintained JavaScript GBDT trains in-process; the model is a small
 * JSON file of flat arrays, compiled into typed arrays for scoring (one short path per tree).
 */
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

/**
 * A model compiled for scoring: every tree padded to a complete binary tree of the model's
 * depth (a leaf above the bottom becomes splits that always go left, down to copies of its
 * value), so that walking a tree is exactly `depth` steps of index arithmetic with no leaf test:
 * predictable loops instead of a data-dependent exit per tree.
 */
export interface CompiledModel {
  baseScore: number;
  depth: number;
  trees: number;
  /** Split feature and threshold of each internal node, trees one after another (2^depth - 1 each). */
  feature: Int32Array;
  threshold: Float64Array;
  /** Leaf values, 2^depth a tree. */
  value: Float64Array;
}

export function compile(model: GbdtModel): CompiledModel {
  const depth = Math.max(0, ...model.trees.map((t) => treeDepth(t, 0)));
  const internal = 2 ** depth - 1;
  const leaves = 2 ** depth;
  const c: CompiledModel = {
    baseScore: model.baseScore,
    depth,
    trees: model.trees.length,
    feature: new Int32Array(model.trees.length * internal),
    threshold: new Float64Array(model.trees.length * internal),
    value: new Float64Array(model.trees.length * leaves),
  };
  model.trees.forEach((tree, t) => {
    const place = (src: number, dst: number, level: number): void => {
      if (level === depth) {
        c.value[t * leaves + dst - internal] = tree.value[src]!;
        return;
      }
      const leaf = tree.feature[src]! < 0;
      c.feature[t * internal + dst] = leaf ? 0 : tree.feature[src]!;
      c.threshold[t * internal + dst] = leaf ? Infinity : tree.threshold[src]!;
      place(leaf ? src : tree.left[src]!, 2 * dst + 1, level + 1);
      place(leaf ? src : tree.right[src]!, 2 * dst + 2, level + 1);
    };
    place(0, 0, 0);
  });
  return c;
}

function treeDepth(tree: Tree, node: number): number {
  return tree.feature[node]! < 0 ? 0 : 1 + Math.max(treeDepth(tree, tree.left[node]!), treeDepth(tree, tree.right[node]!));
}

/**
 * Raw scores (log-odds) of `count` rows of `rows` (row-major, `width` values a row), into `out`. Tree by tree, four
 * rows walk together: their steps are independent, so the processor overlaps four chains of
 * loads where one row at a time would wait on each.
 */
export function scoreRows(c: CompiledModel, rows: Float64Array, width: number, count: number, out: Float64Array): void {
  const internal = 2 ** c.depth - 1;
  const { feature, threshold, value, depth } = c;
  out.fill(c.baseScore, 0, count);
  const quads = count - (count % 4);
  for (let t = 0, base = 0, leafBase = -internal; t < c.trees; t++, base += internal, leafBase += internal + 1) {
    let r = 0;
    for (; r < quads; r += 4) {
      const o0 = r * width;
      const o1 = o0 + width;
      const o2 = o1 + width;
      const o3 = o2 + width;
      let n0 = 0;
      let n1 = 0;
      let n2 = 0;
      let n3 = 0;
      for (let level = 0; level < depth; level++) {
        n0 = 2 * n0 + 2 - +(rows[o0 + feature[base + n0]!]! <= threshold[base + n0]!);
        n1 = 2 * n1 + 2 - +(rows[o1 + feature[base + n1]!]! <= threshold[base + n1]!);
        n2 = 2 * n2 + 2 - +(rows[o2 + feature[base + n2]!]! <= threshold[base + n2]!);
        n3 = 2 * n3 + 2 - +(rows[o3 + feature[base + n3]!]! <= threshold[base + n3]!);
      }
      out[r] = out[r]! + value[leafBase + n0]!;
      out[r + 1] = out[r + 1]! + value[leafBase + n1]!;
      out[r + 2] = out[r + 2]! + value[leafBase + n2]!;
      out[r + 3] = out[r + 3]! + value[leafBase + n3]!;
    }
    for (; r < count; r++) {
      const o = r * width;
      let n = 0;
      for (let level = 0; level < depth; level++) n = 2 * n + 2 - +(rows[o + feature[base + n]!]! <= threshold[base + n]!);
      out[r] = out[r]! + value[leafBase + n]!;
    }
  }
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
