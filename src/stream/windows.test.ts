import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY, HOUR, MINUTE, PanedCounters, tumblingIndex, tumblingStart } from './windows.ts';

describe('windows', () => {
  it('puts window boundaries on multiples of the size (start inclusive, end exclusive)', () => {
    const five = 5 * MINUTE;
    assert.equal(tumblingStart(five - 1, five), 0);
    assert.equal(tumblingStart(five, five), five);
    assert.equal(tumblingIndex(DAY - 1, DAY), 0);
    assert.equal(tumblingIndex(DAY, DAY), 1);
  });

  it('sums a sliding hour of 5-minute panes, per row', () => {
    const c = new PanedCounters(5 * MINUTE, 12, 1);
    c.ensureRows(2);
    c.add(1, 0, 0); // pane 0
    c.add(1, 5 * MINUTE - 1, 0); // still pane 0
    c.add(1, 5 * MINUTE, 0); // pane 1
    c.add(1, HOUR - 1, 0); // pane 11
    c.add(0, HOUR - 1, 0, 7); // another row
    assert.equal(c.sum(1, HOUR - 1, 0), 4, 'all four within the hour');
    assert.equal(c.sum(1, HOUR, 0), 2, 'pane 0 slid out at the hour');
    assert.equal(c.sum(1, HOUR - 1, 0, 1), 1, 'last 5 minutes only');
    assert.equal(c.sum(0, HOUR - 1, 0), 7);
    c.ensureRows(100);
    assert.equal(c.sum(1, HOUR - 1, 0), 4, 'growing keeps the counts');
  });

  it('resets a pane slot when time wraps around and drops counts older than the window', () => {
    const c = new PanedCounters(5 * MINUTE, 12, 2);
    c.ensureRows(1);
    c.add(0, 0, 1, 3);
    c.add(0, HOUR, 1, 1); // same slot, twelve panes later
    assert.equal(c.sum(0, HOUR, 1), 1);
    c.add(0, 0, 1, 5); // older than the window now
    assert.equal(c.sum(0, HOUR, 1), 1);
  });
});
