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

/** A model flattened into typed arrays for scoring: every tree's nodes in one set of columns. */
export interface CompiledModel {
  baseScore: number;
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export function compile(model: GbdtModel): CompiledModel {
  const nodes = model.trees.reduce((n, t) => n + t.feature.length, 0);
  const c: CompiledModel = {
    baseScore: model.baseScore,
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    left: new Int32Array(nodes),
    right: new Int32Array(nodes),
    value: new Float64Array(nodes),
  };
  let at = 0;
  model.trees.forEach((t, i) => {
    c.roots[i] = at;
    for (let n = 0; n < t.feature.length; n++) {
      c.feature[at + n] = t.feature[n]!;
      c.threshold[at + n] = t.threshold[n]!;
      c.left[at + n] = at + t.left[n]!;
      c.right[at + n] = at + t.right[n]!;
      c.value[at + n] = t.value[n]!;
    }
    at += t.feature.length;
  });
  return c;
}

/** Raw score (log-odds) of one row of `features` starting at `offset`. */
export function score(c: CompiledModel, features: ArrayLike<number>, offset = 0): number {
  let total = c.baseScore;
  for (let t = 0; t < c.roots.length; t++) {
    let node = c.roots[t]!;
    while (c.feature[node]! >= 0) node = features[offset + c.feature[node]!]! <= c.threshold[node]! ? c.left[node]! : c.right[node]!;
    total += c.value[node]!;
  }
  return total;
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
