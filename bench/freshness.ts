/**
 * Freshness: how soon an accepted event shows in its session's recommendations. The real server
 * (sync writes on) on core 0; this process on core 1, one request at a time:
 *   POST /v1/events with one product_view  -> accepted (the answer carries a read-your-writes token)
 *   GET /v1/recommendations?sessionId=..&after=<token>  -> answered once the event is applied
 * accepted -> reflected is the time from the POST answer to the GET answer with fresh:true; it
 * includes one GET round trip, so a plain GET (no `after`) is timed too for comparison. Each
 * iteration then checks (untimed) that GET /v1/sessions/<id> lists the item as the most recent.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { getJson, httpRequest, info, itemId, parseOptions, Rng, startCliServer, summarize, Zipf, type OptionSpec, type Result } from './support.ts';

export const options = {
  iterations: { default: 2000, help: 'measured POST + GET pairs' },
  warmup: { default: 200, help: 'unmeasured pairs first' },
  sessions: { default: 100, help: 'sessions the events rotate over' },
  maxSeconds: { default: 120, help: 'stop early after this long' },
} satisfies OptionSpec;

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const server = await startCliServer({ core: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const zipf = new Zipf(20_000, 1, new Rng(5));
  const post: number[] = [];
  const reflect: number[] = [];
  const plainGet: number[] = [];
  const total: number[] = [];
  let stale = 0;
  let mismatched = 0;
  let done = 0;
  try {
    const deadline = Date.now() + o.maxSeconds * 1000;
    for (let i = 0; i < o.warmup + o.iterations && Date.now() < deadline; i++) {
      const sessionId = `fresh-${i % o.sessions}`;
      const item = itemId(zipf.sample());
      const body = JSON.stringify({ events: [{ type: 'product_view', id: `f-${i}`, ts: Date.now(), anonymousId: `device-${sessionId}`, sessionId, itemId: item }] });
      const t0 = performance.now();
      const accepted = await httpRequest(agent, `${server.url}/v1/events`, { method: 'POST', body });
      const t1 = performance.now();
      if (accepted.status !== 200) throw new Error(`POST /v1/events: ${accepted.status} ${accepted.body}`);
      const { token } = JSON.parse(accepted.body) as { token: string };
      const answer = await httpRequest(agent, `${server.url}/v1/recommendations?sessionId=${sessionId}&k=20&after=${encodeURIComponent(token)}`);
      const t2 = performance.now();
      const fresh = answer.status === 200 && (JSON.parse(answer.body) as { fresh: boolean }).fresh;
      const g0 = performance.now();
      await httpRequest(agent, `${server.url}/v1/recommendations?sessionId=${sessionId}&k=20`);
      const g1 = performance.now();
      const view = await getJson<{ recentItems: string[] }>(agent, `${server.url}/v1/sessions/${sessionId}`);
      if (i < o.warmup) continue;
      done++;
      if (!fresh) stale++;
      if (view.recentItems[0] !== item) mismatched++;
      post.push(t1 - t0);
      reflect.push(t2 - t1);
      total.push(t2 - t0);
      plainGet.push(g1 - g0);
    }
    const reflected = summarize(reflect);
    info(`accepted -> reflected p50 ${reflected.p50} ms, p99 ${reflected.p99} ms over ${done} events; POST p99 ${summarize(post).p99} ms`);
    return {
      acceptedToReflectedMs: reflected,
      postMs: summarize(post),
      postToReflectedMs: summarize(total),
      plainGetMs: summarize(plainGet),
      iterations: done,
      notFresh: stale,
      sessionMismatches: mismatched,
      config: { ...o, syncWrites: true },
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}
