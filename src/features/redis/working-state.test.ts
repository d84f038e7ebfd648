import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggedEvent } from '../../events/logged.ts';
import { FeatureState } from '../memory/feature-state.ts';
import { PartitionWork } from './working-state.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const STREAM = { partitions: 1, sessionGapMs: 30 * MIN, allowedLatenessMs: 2 * MIN };

describe('PartitionWork', () => {
  it('resumes from a checkpoint with the session index whole: sequences, postings and counts', () => {
    const state = new FeatureState(STREAM);
    let n = 0;
    for (let s = 0; s < 6; s++) {
      // Sessions of 3 to 13 views, so that long ones keep a tail beyond their row.
      for (let j = 0; j < 3 + 2 * s; j++) {
        const time = T0 + s * MIN + j * 1000;
        const event = { type: 'product_view', id: `e${n++}`, ts: time, anonymousId: `dev-${s}`, sessionId: `sess-${s}`, itemId: `i${(s + j) % 9}` } as LoggedEvent['event'];
        state.apply(0, { event, time, receivedAt: time });
      }
    }
    const work = new PartitionWork(STREAM, undefined, structuredClone(state.snapshot()));
    const index = state.sessionIndex;
    const resumed = work.state.sessionIndex;
    assert.equal(resumed.opened, index.opened);
    for (let item = 0; item < 9; item++) {
      assert.deepEqual(resumed.sessionsWith(item), index.sessionsWith(item), `postings of item ${item}`);
      assert.equal(resumed.sessionCount(item), index.sessionCount(item));
      assert.equal(resumed.newestSession(item), index.newestSession(item));
    }
    for (let id = 0; id < index.opened; id++) {
      assert.deepEqual(
        Array.from({ length: resumed.length(id) }, (_, j) => resumed.itemAt(id, j)),
        Array.from({ length: index.length(id) }, (_, j) => index.itemAt(id, j)),
      );
    }
  });
});
