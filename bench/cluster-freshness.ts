/**
 * Freshness across processes: a collector, a processor and a server as separate processes over
 * the broker and Redis. One request at a time: POST one product_view to the collector, then GET
 * recommendations for its session from the server with after=<token>; accepted -> reflected is
 * the time from the POST answer to the server's fresh answer (it includes one GET round trip).
 * A background sender keeps `loadEventsPerSecond` other events flowing meanwhile.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startCluster } from '../test/support/cluster.ts';
import { httpRequest, info, parseOptions, summarize, type OptionSpec, type Result } from './support.ts';

export const options = {
  iterations: { default: 1000, help: 'measured POST + GET pairs' },
  warmup: { default: 100, help: 'unmeasured pairs first' },
  loadEventsPerSecond: { default: 1000, help: 'background events a second through the same collector (0: none)' },
  partitions: { default: 8, help: 'topic partitions' },
} satisfies OptionSpec;

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  info('starting broker, Redis, collector, processor, server');
  const cluster = await startCluster({ partitions: o.partitions, collectors: 1, processors: 1, servers: 1 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const loadAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const collector = cluster.collectors[0]!.url;
  const server = cluster.servers[0]!.url;
  let loading = o.loadEventsPerSecond > 0;
  let loadSent = 0;
  const load = (async () => {
    for (let round = 0; loading; round++) {
      const started = performance.now();
      const events = Array.from({ length: 50 }, (_, i) => ({ type: 'product_view', id: `bg-${round}-${i}`, ts: Date.now(), anonymousId: `bg-${i}`, sessionId: `bg-${i}`, itemId: `item-${(round * 50 + i) % 997}` }));
      await httpRequest(loadAgent, `${collector}/v1/events`, { method: 'POST', body: JSON.stringify({ events }) });
      loadSent += events.length;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (50 / o.loadEventsPerSecond) * 1000 - (performance.now() - started))));
    }
  })();
  const reflect: number[] = [];
  const total: number[] = [];
  let stale = 0;
  try {
    for (let i = 0; i < o.warmup + o.iterations; i++) {
      const sessionId = `fresh-${i % 100}`;
      const body = JSON.stringify({ events: [{ type: 'product_view', id: `f-${i}`, ts: Date.now(), anonymousId: `device-${sessionId}`, sessionId, itemId: `item-${i % 997}` }] });
      const t0 = performance.now();
      const accepted = await httpRequest(agent, `${collector}/v1/events`, { method: 'POST', body });
      const t1 = performance.now();
      const { token } = JSON.parse(accepted.body) as { token: string };
      const answer = await httpRequest(agent, `${server}/v1/recommendations?sessionId=${sessionId}&k=20&after=${encodeURIComponent(token)}`);
      const t2 = performance.now();
      if (i < o.warmup) continue;
      if (!(JSON.parse(answer.body) as { fresh: boolean }).fresh) stale++;
      reflect.push(t2 - t1);
      total.push(t2 - t0);
    }
    const reflected = summarize(reflect);
    info(`accepted -> reflected across processes: p50 ${reflected.p50} ms, p99 ${reflected.p99} ms`);
    return { acceptedToReflectedMs: reflected, postToReflectedMs: summarize(total), notFresh: stale, backgroundEvents: loadSent, config: o };
  } finally {
    loading = false;
    await load;
    agent.destroy();
    loadAgent.destroy();
    await cluster.stop();
  }
}
