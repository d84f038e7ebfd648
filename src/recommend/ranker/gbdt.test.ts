import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile, GBDT_FORMAT, scoreRows, train, type GbdtModel, type Tree } from './gbdt.ts';

function lcg(seed: number) {
  return () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** The model read as it was written: one node at a time from the root, x <= threshold going left. */
function referenceScore(model: GbdtModel, row: ArrayLike<number>): number {
  let total = model.baseScore;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node]! >= 0) node = row[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
    total += tree.value[node]!;
  }
  return total;
}

/**
 * A random model: trees from a single leaf to `maxDepth` levels, leaves at uneven depths, thresholds
 * drawn from a small pool per feature so that trees share them (ties between trees), pools holding
 * negatives, zero and infinities.
 */
function randomModel(rand: () => number, features: number, trees: number, maxDepth: number, poolSize: number): GbdtModel {
  const pools = Array.from({ length: features }, () => {
    const pool = Array.from({ length: poolSize }, () => Math.round((rand() - 0.3) * 2000) / 100);
    pool.push(0, rand() < 0.5 ? Infinity : -Infinity);
    return pool;
  });
  const make = (): Tree => {
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const grow = (depth: number): number => {
      const node = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(Math.round((rand() - 0.5) * 1e6) / 1e5);
      if (depth === maxDepth || (depth > 0 && rand() < 0.15)) return node;
      const f = Math.floor(rand() * features);
      tree.feature[node] = f;
      tree.threshold[node] = pools[f]![Math.floor(rand() * pools[f]!.length)]!;
      tree.left[node] = grow(depth + 1);
      tree.right[node] = grow(depth + 1);
      return node;
    };
    grow(0);
    return tree;
  };
  const single: Tree = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.25] };
  return {
    format: GBDT_FORMAT,
    featureNames: Array.from({ length: features }, (_, f) => `f${f}`),
    baseScore: -1.5,
    trees: [single, ...Array.from({ length: trees }, make)],
  };
}

/** Rows of values on, just beside and between the model's thresholds, and NaN, infinities, -0. */
function edgeRows(rand: () => number, model: GbdtModel, count: number): Float64Array {
  const width = model.featureNames.length;
  const thresholds = model.trees.flatMap((t) => t.threshold.filter((_, node) => t.feature[node]! >= 0));
  const rows = new Float64Array(count * width);
  for (let i = 0; i < rows.length; i++) {
    const t = thresholds[Math.floor(rand() * thresholds.length)]!;
    const pick = rand();
    rows[i] =
      pick < 0.3 ? t
      : pick < 0.4 ? t + 1e-9
      : pick < 0.5 ? t - 1e-9
      : pick < 0.55 ? Number.NaN
      : pick < 0.6 ? Infinity
      : pick < 0.65 ? -Infinity
      : pick < 0.7 ? -0
      : (rand() - 0.3) * 25;
  }
  return rows;
}

function scoreAll(model: GbdtModel, rows: Float64Array, width: number): Float64Array {
  const out = new Float64Array(rows.length / width);
  scoreRows(compile(model), rows, width, out.length, out);
  return out;
}

describe('gbdt', () => {
  it('learns an interaction a linear model cannot (xor of two features)', () => {
    const rand = lcg(1);
    const n = 4000;
    const rows = new Float64Array(n * 3);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const a = rand();
      const b = rand();
      rows[i * 3] = a;
      rows[i * 3 + 1] = b;
      rows[i * 3 + 2] = rand(); // noise
      labels[i] = (a > 0.5) !== (b > 0.5) ? 1 : 0;
    }
    const model = train(rows, labels, ['a', 'b', 'noise'], { trees: 30, depth: 3, learningRate: 0.3, lambda: 1, minChildWeight: 1, bins: 16 });
    const scores = scoreAll(model, rows, 3);
    let correct = 0;
    for (let i = 0; i < n; i++) if (scores[i]! > 0 === (labels[i] === 1)) correct++;
    assert.ok(correct / n > 0.95, `accuracy ${correct / n}`);
    assert.deepEqual(JSON.parse(JSON.stringify(model)), model, 'the model is plain JSON');
  });

  it('predicts the base rate when no feature informs', () => {
    const n = 1000;
    const rows = new Float64Array(n).fill(1);
    const labels = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const model = train(rows, labels, ['constant'], { trees: 5, depth: 3, learningRate: 0.5, lambda: 1, minChildWeight: 1, bins: 8 });
    const p = 1 / (1 + Math.exp(-scoreAll(model, Float64Array.of(1), 1)[0]!));
    assert.ok(Math.abs(p - 0.25) < 0.01, `p = ${p}`);
  });

  it('scores exactly as the trees read node by node, for uneven trees, any row count and NaN', () => {
    const rand = lcg(5);
    const n = 3001;
    const rows = new Float64Array(n * 4);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < 4; f++) rows[i * 4 + f] = rand() < 0.05 ? Number.NaN : rand();
      labels[i] = rows[i * 4]! > 0.7 || (rows[i * 4 + 1]! < 0.2 && rows[i * 4 + 2]! > 0.5) ? 1 : 0;
    }
    // A large minChildWeight stops some branches early: trees of uneven depth.
    const model = train(rows, labels, ['a', 'b', 'c', 'd'], { trees: 20, depth: 6, learningRate: 0.3, lambda: 1, minChildWeight: 40, bins: 16 });
    const leafDepths = new Set<number>();
    for (const tree of model.trees) {
      const visit = (node: number, depth: number): void => {
        if (tree.feature[node]! < 0) leafDepths.add(depth);
        else [tree.left[node]!, tree.right[node]!].forEach((child) => visit(child, depth + 1));
      };
      visit(0, 0);
    }
    assert.ok(leafDepths.size > 1, `leaves at depths ${[...leafDepths].join(', ')}`);
    for (const count of [n, 7, 1]) {
      const scores = scoreAll(model, rows.subarray(0, count * 4), 4);
      for (let i = 0; i < count; i++) assert.equal(scores[i], referenceScore(model, rows.subarray(i * 4, i * 4 + 4)));
    }
  });

  it('scores random models bit for bit as the trees read node by node, on edge values', () => {
    const rand = lcg(11);
    const cases = [
      { features: 13, trees: 100, maxDepth: 5, poolSize: 30 }, // the shipped model's size: two passes of the JavaScript loop
      { features: 13, trees: 100, maxDepth: 5, poolSize: 3 }, // fewer thresholds: one pass of the JavaScript loop
      { features: 3, trees: 40, maxDepth: 3, poolSize: 4 },
      { features: 1, trees: 5, maxDepth: 1, poolSize: 1 },
      { features: 2, trees: 3, maxDepth: 0, poolSize: 1 }, // single leaves only: no feature to bin
      { features: 20, trees: 30, maxDepth: 7, poolSize: 40 }, // more than 32 leaves a tree, features not all merged into one pass
    ];
    for (const { features, trees, maxDepth, poolSize } of cases) {
      const model = randomModel(rand, features, trees, maxDepth, poolSize);
      // The SIMD scorer takes the models whose trees fit a mask word each; the JavaScript loop the rest, and these too when asked.
      for (const simd of [true, false]) {
        const c = compile(model, { simd });
        if (maxDepth > 5) assert.ok(c.slots > c.trees && c.offsets.length > 6, 'the case takes the general path');
        assert.equal(c.simd !== undefined, c.slots === c.trees && simd, 'trees of one word each get the SIMD scorer unless told not to');
        for (const count of [0, 1, 5, 500]) {
          const rows = edgeRows(rand, model, count);
          const out = new Float64Array(count);
          scoreRows(c, rows, features, count, out);
          for (let i = 0; i < count; i++) {
            const where = `${features} features, depth ${maxDepth}, ${simd ? 'SIMD' : 'JavaScript'}, row ${i}`;
            assert.equal(out[i], referenceScore(model, rows.subarray(i * features, (i + 1) * features)), where);
          }
        }
      }
    }
  });
});
