import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile, score, train } from './gbdt.ts';

function lcg(seed: number) {
  return () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
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
    const compiled = compile(model);
    let correct = 0;
    for (let i = 0; i < n; i++) if (score(compiled, rows, i * 3) > 0 === (labels[i] === 1)) correct++;
    assert.ok(correct / n > 0.95, `accuracy ${correct / n}`);
    assert.deepEqual(JSON.parse(JSON.stringify(model)), model, 'the model is plain JSON');
  });

  it('predicts the base rate when no feature informs', () => {
    const n = 1000;
    const rows = new Float64Array(n).fill(1);
    const labels = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const model = train(rows, labels, ['constant'], { trees: 5, depth: 3, learningRate: 0.5, lambda: 1, minChildWeight: 1, bins: 8 });
    const p = 1 / (1 + Math.exp(-score(compile(model), [1])));
    assert.ok(Math.abs(p - 0.25) < 0.01, `p = ${p}`);
  });
});
