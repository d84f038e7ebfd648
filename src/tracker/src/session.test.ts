import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeEnvironment } from './fake-environment.ts';
import { createSessions, DEVICE_KEY, safeStorage, SESSION_KEY } from './session.ts';

const GAP = 30 * 60_000;

describe('tracker sessions', () => {
  it('keeps the session while events come within the gap, and rolls over after it', () => {
    const env = new FakeEnvironment();
    const sessions = createSessions(env, safeStorage(env.storage), GAP);
    const t0 = env.time;
    const first = sessions.touch(t0);
    assert.equal(sessions.touch(t0 + GAP), first, 'exactly the gap apart: same session');
    assert.equal(sessions.touch(t0 + 2 * GAP), first, 'the gap counts from the last event');
    const second = sessions.touch(t0 + 3 * GAP + 1);
    assert.notEqual(second, first);
    assert.equal(sessions.current(), second);
  });

  it('shares device and session through storage (another tab, the next page)', () => {
    const env = new FakeEnvironment();
    const a = createSessions(env, safeStorage(env.storage), GAP);
    const session = a.touch(env.time);
    const b = createSessions(env, safeStorage(env.storage), GAP);
    assert.equal(b.deviceId, a.deviceId);
    assert.equal(b.touch(env.time + 1000), session);
    assert.equal(env.stored.get(DEVICE_KEY), a.deviceId);
    assert.match(env.stored.get(SESSION_KEY)!, new RegExp(`^${session}\\.`));
  });

  it('keeps the session when the clock moves backwards', () => {
    const env = new FakeEnvironment();
    const sessions = createSessions(env, safeStorage(env.storage), GAP);
    const first = sessions.touch(env.time);
    assert.equal(sessions.touch(env.time - 60_000), first);
    assert.equal(sessions.touch(env.time + GAP), first, 'the last activity stayed at the later time');
  });

  it('works in memory where storage throws', () => {
    const env = new FakeEnvironment();
    env.storage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('SecurityError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const sessions = createSessions(env, safeStorage(env.storage), GAP);
    const first = sessions.touch(env.time);
    assert.equal(sessions.touch(env.time + 1000), first);
    assert.notEqual(sessions.touch(env.time + GAP + 2000), first);
  });
});
