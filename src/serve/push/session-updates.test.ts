import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalSessionUpdates } from './session-updates.ts';

test('listeners hear only their session, and stop hearing after unsubscribing', () => {
  const updates = new LocalSessionUpdates();
  const heard: string[] = [];
  const stopA = updates.subscribe('a', () => heard.push('a'));
  updates.subscribe('b', () => heard.push('b'));
  updates.publish(['a', 'c']);
  assert.deepEqual(heard, ['a']);
  stopA();
  updates.publish(['a', 'b']);
  assert.deepEqual(heard, ['a', 'b']);
});
