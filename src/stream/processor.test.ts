import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeToken, encodeToken } from './processor.ts';

describe('read-your-writes tokens', () => {
  it('encode the next offset to wait for, per partition touched', () => {
    const token = encodeToken([
      { partition: 2, offset: 7 },
      { partition: 0, offset: 3 },
      { partition: 2, offset: 9 },
    ]);
    assert.deepEqual(decodeToken(token, 4), [4, 0, 10, 0]);
    assert.deepEqual(decodeToken('', 2), [0, 0]);
  });

  it('reject malformed tokens and unknown partitions', () => {
    assert.throws(() => decodeToken('x', 2), /malformed/);
    assert.throws(() => decodeToken('5:1', 2), /partition 5/);
  });
});
