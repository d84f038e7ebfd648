/**
 * Per-core throughput of each role: one collector, one processor and one server as separate
 * processes. `events` are posted as fast as `senders` concurrent clients get answers (batches of
 * 50), the processor applies them to Redis, then `requests` recommendations are asked of the
 * server. Each role's figure is its work divided by the CPU seconds its process used; the broker's
 * and Redis's CPU seconds per event are reported too, for sizing.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startCluster } from '../test/support/cluster.ts';
import { cpuMeter, sendAll, stream, waitApplied } from './cluster.ts';
import { httpRequest, info, parseOptions, round, summarize, type OptionSpec, type Result } from './support.ts';

export const options = {
  events: { default: 100_000, help: 'events posted through the collector' },
  senders: { default: 4, help: 'concurrent POST clients' },
  requests: { default: 5000, help: 'recommendation requests to the server' },
  partitions: { default: 8, help: 'topic partitions' },
} satisfies OptionSpec;

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const events = stream(o.events, 11);
  info('starting broker, Redis, collector, processor, server');
  const cluster = await startCluster({ partitions: o.partitions, collectors: 1, processors: 1, servers: 1 });
  try {
    const pids = { collector: cluster.collectors[0]!.child.pid!, processor: cluster.processors[0]!.child.pid!, server: cluster.servers[0]!.child.pid!, broker: cluster.kafka.pid, redis: cluster.redis.pid };
    const ingest = cpuMeter(pids);
    const started = performance.now();
    const sendSeconds = await sendAll(cluster, events, 50, o.senders);
    const { doneAt } = await waitApplied(cluster, o.events, 600_000);
    const ingestCpu = ingest();
    const pipelineSeconds = (doneAt - started) / 1000;
    info(`${o.events} events sent in ${sendSeconds.toFixed(1)} s, applied after ${pipelineSeconds.toFixed(1)} s; cpu ${JSON.stringify(ingestCpu)}`);
    const memory = await redisMemory(cluster.redis.url);

    const serve = cpuMeter(pids);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const latency: number[] = [];
    let next = 0;
    const serveStarted = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < o.requests; i = next++) {
          const session = events[(i * 7919) % events.length]!.sessionId as string;
          const t0 = performance.now();
          const answer = await httpRequest(agent, `${cluster.servers[0]!.url}/v1/recommendations?sessionId=${session}&k=20`);
          if (answer.status !== 200) throw new Error(`GET /v1/recommendations: ${answer.status}`);
          latency.push(performance.now() - t0);
        }
      }),
    );
    const serveSeconds = (performance.now() - serveStarted) / 1000;
    const serveCpu = serve();
    agent.destroy();
    const perCpu = (work: number, seconds: number | undefined) => (seconds ? Math.round(work / seconds) : null);
    return {
      collectorEventsPerCoreSecond: perCpu(o.events, ingestCpu.collector),
      processorEventsPerCoreSecond: perCpu(o.events, ingestCpu.processor),
      serverRequestsPerCoreSecond: perCpu(o.requests, serveCpu.server),
      redisCpuMicrosecondsPerEvent: round((ingestCpu.redis! / o.events) * 1e6, 1),
      brokerCpuMicrosecondsPerEvent: round((ingestCpu.broker! / o.events) * 1e6, 1),
      redisCpuMicrosecondsPerRequest: round((serveCpu.redis! / o.requests) * 1e6, 1),
      wall: { eventsPerSecondIngested: Math.round(o.events / sendSeconds), eventsPerSecondApplied: Math.round(o.events / pipelineSeconds), requestsPerSecond: Math.round(o.requests / serveSeconds) },
      recommendationMs: summarize(latency),
      redisMemory: memory,
      cpuSeconds: { ingest: ingestCpu, serve: serveCpu },
      config: o,
    };
  } finally {
    await cluster.stop();
  }
}

/** Redis memory in all, and the mean bytes of each kind of key (MEMORY USAGE over up to 200 keys a kind). */
async function redisMemory(url: string): Promise<Result> {
  const redis = new Redis(url);
  try {
    const info = await redis.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)![1]);
    const kinds: Record<string, string> = { sessionContext: 'sw:ctx:*', itemStats: 'sw:{i*}:st:*', neighbours: 'sw:{i*}:nb:*', postings: 'sw:{i*}:ps:*', partitionRecords: 'sw:{p*}:records' };
    const perKind: Record<string, { keys: number; meanBytes: number }> = {};
    for (const [kind, pattern] of Object.entries(kinds)) {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      const sample = found.slice(0, 200);
      const sizes = await Promise.all(sample.map((key) => redis.memory('USAGE', key)));
      perKind[kind] = { keys: found.length, meanBytes: Math.round(sizes.reduce<number>((a, b) => a + Number(b ?? 0), 0) / Math.max(1, sample.length)) };
    }
    return { usedBytes: used, perKind };
  } finally {
    redis.disconnect();
  }
}
