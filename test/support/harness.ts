/**
 * Test support: a whole system on a temporary data dir and a free loopback port. Embedded by
 * default; EVENT_LOG and FEATURE_STORE in the environment (test/distributed.test.ts sets them)
 * run the same tests on Kafka and Redis.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createHttpServer } from '../../src/serve/http.ts';
import { openSystem, type System } from '../../src/system.ts';

export function tempDir(prefix = 'sessionwise-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningSystem {
  url: string;
  system: System;
  app: FastifyInstance;
  dataDir: string;
  /** Stops the server and the system; removes the data dir unless keepData. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function startSystem(overrides: Partial<Config> = {}): Promise<RunningSystem> {
  const dataDir = overrides.dataDir ?? tempDir();
  const adapters = { eventLog: process.env.EVENT_LOG, featureStore: process.env.FEATURE_STORE, kafkaSessionTimeoutMs: 3000 };
  // The demo shop seeds history into the log; tests that want it ask for it.
  const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', port: 0, host: '127.0.0.1', demo: false, ...adapters, ...overrides, dataDir } });
  const system = await openSystem(config);
  const app = await createHttpServer(system);
  await app.listen({ port: 0, host: '127.0.0.1' });
  await system.processor.start();
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    system,
    app,
    dataDir,
    async close(options = {}) {
      await app.close();
      await system.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A valid event of `type` with a fresh id, for the given device and session. */
export function makeEvent(type: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { type, id: `${randomUUID()}-${counter++}`, ts: Date.now(), anonymousId: 'device-1', sessionId: 'session-1', ...fields };
}

export async function postEvents(url: string, events: unknown[]): Promise<{ status: number; body: { accepted: number; rejected: Array<{ index: number; id?: string; reason: string }>; token: string; error?: string } }> {
  const response = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  return { status: response.status, body: (await response.json()) as never };
}
