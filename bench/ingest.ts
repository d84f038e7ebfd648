/**
 * Durable ingest: the real server (`sessionwise start`, sync writes on, the default) pinned to
 * core 0; autocannon in this process (pinned to core 1 by the dispatcher) posts batches of
 * product_view events to POST /v1/events. Every request carries unique event ids (a rotating
 * pool of body templates, the ids stamped per request). Accepted counts come from the answers
 * and are checked against what the server's processor applied (GET /readyz) afterwards.
 */
import http from 'node:http';
import { EventGenerator, getJson, info, parseOptions, round, runAutocannon, startCliServer, waitUntil, type LoadResult, type OptionSpec, type Result } from './support.ts';

export const options = {
  duration: { default: 15, help: 'measured seconds' },
  warmup: { default: 3, help: 'seconds of unmeasured load first' },
  connections: { default: 64, help: 'concurrent connections' },
  batch: { default: 50, help: 'events per request' },
  pool: { default: 512, help: 'distinct body templates' },
} satisfies OptionSpec;

const SEQ = '@@SEQ@@';

/** Bodies of `batch` product_view events each, split around the per-request id stamp. */
function bodyTemplates(pool: number, batch: number): string[][] {
  const now = Date.now();
  // Event times within the last minute: well inside the allowed lateness for the whole run.
  const generator = new EventGenerator({ seed: 11, viewsOnly: true, startTime: now - 60_000, meanGapMs: 60_000 / (pool * batch), concurrentSessions: 5_000 });
  const templates: string[][] = [];
  for (let b = 0; b < pool; b++) {
    const events = [];
    for (let k = 0; k < batch; k++) events.push({ ...generator.next().event, id: `r${SEQ}-${k}` });
    templates.push(JSON.stringify({ events }).split(SEQ));
  }
  return templates;
}

interface Tally {
  accepted: number;
  rejected: number;
  other: number;
}

async function load(url: string, templates: string[][], seq: { next: number }, connections: number, duration: number, tally: Tally): Promise<LoadResult> {
  return runAutocannon({
    url: `${url}/v1/events`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = seq.next++;
          return { ...request, body: templates[n % templates.length]!.join(String(n)) };
        },
        onResponse: (status, body) => {
          const accepted = /"accepted":(\d+)/.exec(body);
          if (status !== 200 || !accepted) {
            tally.other++;
            return;
          }
          tally.accepted += Number(accepted[1]);
          if (!body.includes('"rejected":[]')) tally.rejected++;
        },
      },
    ],
  });
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const templates = bodyTemplates(o.pool, o.batch);
  info(`body: ${o.batch} events, ${Buffer.byteLength(templates[0]!.join('1000000'))} bytes; starting the server on core 0 (sync writes on)`);
  const server = await startCliServer({ core: 0 });
  const agent = new http.Agent({ keepAlive: true });
  try {
    const seq = { next: 0 };
    const warm: Tally = { accepted: 0, rejected: 0, other: 0 };
    if (o.warmup > 0) {
      info(`warm-up ${o.warmup} s`);
      await load(server.url, templates, seq, o.connections, o.warmup, warm);
    }
    info(`measuring ${o.duration} s with ${o.connections} connections`);
    const tally: Tally = { accepted: 0, rejected: 0, other: 0 };
    const result = await load(server.url, templates, seq, o.connections, o.duration, tally);
    const expected = warm.accepted + tally.accepted;
    type Ready = { positions: number[]; counters: { applied: number; duplicates: number; late: number } };
    let ready: Ready | undefined;
    await waitUntil(
      'processor catch-up',
      async () => {
        ready = await getJson<Ready>(agent, `${server.url}/readyz`);
        return ready.positions.reduce((a, b) => a + b, 0) >= expected;
      },
      60_000,
    );
    const logged = ready!.positions.reduce((a, b) => a + b, 0);
    // Requests cut off when a load phase stops are still appended by the server but never answered.
    const unanswered = logged - expected;
    const eventsPerSecond = Math.round(tally.accepted / result.durationS);
    info(`${eventsPerSecond} events/s, ${result.requestsPerSecond} requests/s, p99 ${result.latencyMs.p99} ms`);
    return {
      eventsPerSecond,
      requestsPerSecond: result.requestsPerSecond,
      latencyMs: result.latencyMs,
      autocannon: result.autocannon,
      acceptedEvents: tally.accepted,
      requestsWithRejections: tally.rejected,
      failedRequests: tally.other + result.non2xx + result.errors + result.timeouts,
      verification: {
        acceptedIncludingWarmup: expected,
        eventsInLog: logged,
        unansweredAtStop: unanswered,
        applied: ready!.counters.applied,
        duplicates: ready!.counters.duplicates,
        late: ready!.counters.late,
        ok: unanswered >= 0 && unanswered <= 2 * o.connections * o.batch && ready!.counters.applied === logged && ready!.counters.duplicates === 0,
      },
      config: { ...o, syncWrites: true, bodyBytes: Buffer.byteLength(templates[0]!.join('1000000')), durationS: round(result.durationS, 1) },
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}
