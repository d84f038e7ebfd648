/**
 * Distributed benchmarks on the loopback cluster (test/support/cluster.ts): the roles as separate
 * processes over librdkafka's mock broker and a Redis server, on this machine's cores. Per-core
 * throughput divides the work a role did by the CPU seconds that role's process used
 * (/proc/<pid>/stat), so the figure holds however the roles share the cores.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type Cluster } from '../test/support/cluster.ts';
import { mulberry32 } from '../src/prng.ts';
import { generateStream } from '../test/support/scenario.ts';
import { httpRequest, info, round, summarize } from './support.ts';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, round(cpuSeconds(pid) - start[name]!, 2)]));
}

export async function appliedEvents(cluster: Cluster): Promise<number> {
  const ready = (await (await fetch(`${cluster.servers[0]!.url}/readyz`)).json()) as { counters?: { applied: number } };
  return ready.counters?.applied ?? 0;
}

/** Posts events through the collectors with `concurrency` senders, batches of `batch`; returns the seconds it took. */
export async function sendAll(cluster: Cluster, events: Array<Record<string, unknown>>, batch: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < events.length; i += batch) batches.push(events.slice(i, i + batch));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let b = next++; b < batches.length; b = next++) {
        const collector = cluster.collectors[(b + w) % cluster.collectors.length]!;
        const answer = await httpRequest(agent, `${collector.url}/v1/events`, { method: 'POST', body: JSON.stringify({ events: batches[b] }) });
        if (answer.status !== 200) throw new Error(`POST /v1/events: ${answer.status} ${answer.body.slice(0, 200)}`);
      }
    }),
  );
  agent.destroy();
  return (performance.now() - started) / 1000;
}

/** Waits until the servers report `count` applied events; returns when that happened (ms, performance clock) and when the first was seen. */
export async function waitApplied(cluster: Cluster, count: number, timeoutMs: number): Promise<{ firstAt: number; firstCount: number; doneAt: number }> {
  const deadline = Date.now() + timeoutMs;
  let firstAt = 0;
  let firstCount = 0;
  for (;;) {
    const applied = await appliedEvents(cluster);
    const now = performance.now();
    if (applied > 0 && firstAt === 0) {
      firstAt = now;
      firstCount = applied;
    }
    if (applied >= count) return { firstAt, firstCount, doneAt: now };
    if (Date.now() > deadline) throw new Error(`only ${applied} of ${count} events applied within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function stream(count: number, seed: number): Array<Record<string, unknown>> {
  info(`generating ${count} events`);
  return generateStream(count, mulberry32(seed), 20_000, 5000);
}

export { summarize };
