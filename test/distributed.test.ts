/**
 * The spine's cross-stage tests, unchanged, on the distributed adapters: each file runs again in
 * a child test process with EVENT_LOG=kafka://... (librdkafka's mock cluster, 3 brokers) and
 * FEATURE_STORE=redis://... (a fresh redis-server), which the harness and the `start` command pick
 * up from the environment. Skipped, with the reason, where the Kafka client or the test services
 * are not installed (README, "Kafka and Redis").
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { distributedUnavailable, startKafka, startRedis } from './support/services.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPINE = ['test/end-to-end.test.ts', 'test/crash.test.ts', 'test/collector-fuzz.test.ts'];
const unavailable = await distributedUnavailable();

for (const file of SPINE) {
  test(`${file} on Kafka and Redis`, { skip: unavailable, timeout: 300_000 }, async (t) => {
    const kafka = await startKafka({ partitions: 8 });
    const redis = await startRedis();
    try {
      // A test file run from a test: without this the runner refuses to run files recursively.
      const env: NodeJS.ProcessEnv = { ...process.env, EVENT_LOG: kafka.url, FEATURE_STORE: redis.url, KAFKA_SESSION_TIMEOUT_MS: '3000' };
      delete env.NODE_TEST_CONTEXT;
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      for (const line of output.split('\n')) if (/^# (kill|events|finished|crash test seed)/.test(line.trim())) t.diagnostic(line.trim().slice(2));
      assert.equal(code, 0, `${file} failed on Kafka and Redis:\n${output.slice(-6000)}`);
      assert.match(output, /^# pass [1-9]/m, `${file} ran no test`);
      assert.match(output, /^# fail 0$/m);
    } finally {
      await redis.stop();
      await kafka.stop();
    }
  });
}
