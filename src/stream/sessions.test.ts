import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignSession, sessionEnded } from './sessions.ts';

const GAP = 30 * 60_000;

describe('sessionization', () => {
  it('starts a session for the first event', () => {
    assert.equal(assignSession(undefined, 1000, GAP), 'new');
  });

  it('continues within the gap and starts anew after it', () => {
    const clock = { startTime: 0, lastTime: 10 * 60_000 };
    assert.equal(assignSession(clock, clock.lastTime + GAP, GAP), 'continue', 'exactly the gap still continues');
    assert.equal(assignSession(clock, clock.lastTime + GAP + 1, GAP), 'new');
  });

  it('places an out-of-order event inside the current session', () => {
    assert.equal(assignSession({ startTime: 60_000, lastTime: 600_000 }, 30_000, GAP), 'continue');
  });

  it('leaves events that belong to an older session out of the current one', () => {
    assert.equal(assignSession({ startTime: 10 * GAP, lastTime: 11 * GAP }, 5 * GAP, GAP), 'past');
  });

  it('ends a session once the watermark passes its last event by the gap', () => {
    assert.equal(sessionEnded(1000, 1000 + GAP, GAP), false);
    assert.equal(sessionEnded(1000, 1001 + GAP, GAP), true);
  });
});
