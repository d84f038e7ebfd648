/**
 * The multi-process scenario: replay a recorded stream through the collectors of a loopback
 * cluster, kill -9 one processor part-way, and compare what the servers count per item with
 * what the collectors acknowledged. Shared by test/multi-process.test.ts and `npm run cluster`.
 */
import { partitionFor } from '../../src/log/event-log.ts';
import type { Cluster } from './cluster.ts';

export interface ItemTotals {
  view: number;
  cart: number;
  purchase: number;
}

export interface ScenarioResult {
  acknowledged: number;
  expected: Map<string, ItemTotals>;
  counted: Map<string, ItemTotals>;
  applied: number;
  killed: string | undefined;
  sendSeconds: number;
  convergeSeconds: number;
}

const ROUND = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `events` (time-ordered) in rounds: each round's events go to the collector that owns
 * their device, all collectors at once, so each device's events keep their order. After
 * `killAfter` of the rounds one processor is killed with SIGKILL.
 */
export async function replayWithProcessorKill(cluster: Cluster, events: Array<Record<string, unknown>>, options: { killAfter: number; log?: (line: string) => void }): Promise<ScenarioResult> {
  const expected = new Map<string, ItemTotals>();
  const add = (item: string, metric: keyof ItemTotals, n: number) => {
    let t = expected.get(item);
    if (!t) expected.set(item, (t = { view: 0, cart: 0, purchase: 0 }));
    t[metric] += n;
  };
  const rounds = Math.ceil(events.length / ROUND);
  const killRound = Math.floor(rounds * options.killAfter);
  let killed: string | undefined;
  let acknowledged = 0;
  const started = Date.now();
  for (let r = 0; r < rounds; r++) {
    if (r === killRound && cluster.processors.length > 1) {
      const victim = cluster.processors[1]!;
      await victim.kill();
      killed = victim.name;
      options.log?.(`killed ${victim.name} with SIGKILL after ${acknowledged} acknowledged events`);
    }
    const round = events.slice(r * ROUND, (r + 1) * ROUND);
    const byCollector = cluster.collectors.map(() => [] as Array<Record<string, unknown>>);
    for (const e of round) byCollector[partitionFor(String(e.anonymousId), cluster.collectors.length)]!.push(e);
    await Promise.all(byCollector.map((batch, c) => (batch.length === 0 ? undefined : postUntilAcknowledged(cluster.collectors[c]!.url, batch))));
    for (const e of round) {
      acknowledged++;
      if (e.type === 'product_view') add(String(e.itemId), 'view', 1);
      else if (e.type === 'add_to_cart') add(String(e.itemId), 'cart', 1);
      else if (e.type === 'purchase') for (const line of e.items as Array<{ itemId: string; quantity?: number }>) add(line.itemId, 'purchase', line.quantity ?? 1);
    }
  }
  const sendSeconds = (Date.now() - started) / 1000;
  options.log?.(`sent ${acknowledged} events in ${sendSeconds.toFixed(1)} s`);

  // Converged once the servers count what was acknowledged (or the deadline passes).
  const server = cluster.servers[cluster.servers.length - 1]!;
  const deadline = Date.now() + 120_000;
  let counted = new Map<string, ItemTotals>();
  let applied = 0;
  for (;;) {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { counters?: { applied: number } };
    applied = ready.counters?.applied ?? 0;
    if (applied >= acknowledged || Date.now() > deadline) {
      counted = await countsOf(server.url, [...expected.keys()]);
      if (sameTotals(counted, expected) || Date.now() > deadline) break;
    }
    await sleep(250);
  }
  const convergeSeconds = (Date.now() - started) / 1000 - sendSeconds;
  options.log?.(`servers count ${applied} applied events, ${convergeSeconds.toFixed(1)} s after the last send`);
  return { acknowledged, expected, counted, applied, killed, sendSeconds, convergeSeconds };
}

async function postUntilAcknowledged(url: string, events: Array<Record<string, unknown>>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }), signal: AbortSignal.timeout(30_000) });
      const body = (await response.json()) as { accepted?: number; rejected?: Array<{ reason: string }> };
      if (response.status === 200 && body.accepted === events.length) return;
      if (response.status === 200) throw new Error(`collector rejected recorded events: ${JSON.stringify(body.rejected?.slice(0, 3))}`);
    } catch (error) {
      if (attempt >= 10 || (error instanceof Error && error.message.startsWith('collector rejected'))) throw error;
    }
    await sleep(200);
  }
}

export async function countsOf(url: string, items: string[]): Promise<Map<string, ItemTotals>> {
  const out = new Map<string, ItemTotals>();
  for (const item of items) {
    const body = (await (await fetch(`${url}/v1/items/${encodeURIComponent(item)}`)).json()) as { stats?: { totals: Record<string, number> } | null };
    const t = body.stats?.totals;
    out.set(item, { view: t?.view ?? 0, cart: t?.cart ?? 0, purchase: t?.purchase ?? 0 });
  }
  return out;
}

function sameTotals(a: Map<string, ItemTotals>, b: Map<string, ItemTotals>): boolean {
  for (const [item, t] of b) {
    const c = a.get(item);
    if (!c || c.view !== t.view || c.cart !== t.cart || c.purchase !== t.purchase) return false;
  }
  return true;
}

/** A recorded-looking stream: shoppers browsing, carting and buying, time-ordered, ending now. */
export function generateStream(count: number, random: () => number, devices = 300, items = 40): Array<Record<string, unknown>> {
  const start = Date.now() - count * 50;
  return Array.from({ length: count }, (_, i) => {
    const device = Math.floor(random() * devices);
    const itemId = `item-${Math.floor(Math.pow(random(), 2) * items)}`;
    const base = { id: `mp-${i}`, ts: start + i * 50, anonymousId: `device-${device}`, sessionId: `session-${device}` };
    const p = random();
    if (p < 0.8) return { ...base, type: 'product_view', itemId };
    if (p < 0.95) return { ...base, type: 'add_to_cart', itemId };
    return { ...base, type: 'purchase', items: [{ itemId, price: 10, quantity: 1 + Math.floor(random() * 2) }] };
  });
}
