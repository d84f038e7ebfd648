import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { distributedUnavailable, startRedis, type RedisService } from '../../../test/support/services.ts';
import { RedisSessionUpdates } from './redis-session-updates.ts';

const unavailable = await distributedUnavailable();

describe('session updates over Redis pub/sub', { skip: unavailable }, () => {
  let redis: RedisService;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.stop());

  it('a server hears the sessions another process changed, only those it listens for, until it unsubscribes', async () => {
    const processorConnection = new Redis(redis.url);
    const serverConnection = new Redis(redis.url);
    const processor = new RedisSessionUpdates(processorConnection);
    const server = new RedisSessionUpdates(serverConnection);
    try {
      const heard: string[] = [];
      let notify: () => void = () => {};
      const stopA = server.subscribe('session-a', () => {
        heard.push('a');
        notify();
      });
      server.subscribe('session-b', () => {
        heard.push('b');
        notify();
      });
      await server.ready();
      const next = () => new Promise<void>((resolve) => (notify = resolve));
      let got = next();
      processor.publish(['session-a', 'session-c', 'session-a']);
      await got;
      stopA();
      got = next();
      processor.publish(['session-a', 'session-b']);
      await got;
      // Another round trip, so a stray notice for session-a would have arrived by now.
      got = next();
      processor.publish(['session-b']);
      await got;
      assert.deepEqual(heard, ['a', 'b', 'b']);
    } finally {
      await server.close();
      await processor.close();
      processorConnection.disconnect();
      serverConnection.disconnect();
    }
  });
});
