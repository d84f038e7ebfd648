import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Watermarks } from './watermark.ts';

describe('Watermarks', () => {
  it('accepts out-of-order events within the allowed lateness', () => {
    const w = new Watermarks(2, 1000);
    assert.equal(w.observe(0, 10_000), false);
    assert.equal(w.observe(0, 9_500), false, 'earlier but within lateness');
    assert.equal(w.observe(0, 9_000), false, 'exactly at the watermark is not late');
    assert.equal(w.of(0), 9_000);
  });

  it('flags events beyond the watermark as late without moving it', () => {
    const w = new Watermarks(1, 1000);
    w.observe(0, 10_000);
    assert.equal(w.observe(0, 8_999), true);
    assert.equal(w.of(0), 9_000);
  });

  it('keeps partitions independent, so a lagging partition is not made late', () => {
    const w = new Watermarks(2, 1000);
    w.observe(0, 100_000);
    assert.equal(w.observe(1, 5_000), false);
    assert.equal(w.min(), 4_000);
    assert.equal(w.max(), 99_000);
  });
});
