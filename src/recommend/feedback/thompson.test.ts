import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../prng.ts';
import { sampleBeta } from './thompson.ts';

test('Beta draws have the posterior mean and spread', () => {
  const random = mulberry32(3);
  for (const [a, b] of [[1, 1], [5, 1], [1, 7], [8, 2], [2, 30], [150, 50]] as const) {
    const n = 20_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleBeta(a, b, random);
      assert.ok(x >= 0 && x <= 1);
      sum += x;
      squares += x * x;
    }
    const mean = sum / n;
    const variance = squares / n - mean * mean;
    const expectedMean = a / (a + b);
    const expectedVariance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    assert.ok(Math.abs(mean - expectedMean) < 0.01, `Beta(${a}, ${b}) mean ${mean} vs ${expectedMean}`);
    assert.ok(Math.abs(variance / expectedVariance - 1) < 0.1, `Beta(${a}, ${b}) variance ${variance} vs ${expectedVariance}`);
  }
});
