/**
 * State bytes per active session: a MemoryFeatureStore (no dir) in this process, then events for
 * N distinct sessions (product_view + scroll + dwell + add_to_cart each), all live (their events
 * within 20 minutes of event time, under the 30-minute gap). The process runs with --expose-gc
 * (the dispatcher starts it so): GC before and after, and the growth of heapUsed + external
 * (external already includes arrayBuffers, so they are not added twice) divided by N.
 *
 * The dedup window is sized by events per allowed-lateness horizon, not by sessions: it is
 * reported apart, with what it would hold at this event rate.
 */
import { loadConfig } from '../src/config/config.ts';
import type { LoggedEvent } from '../src/events/logged.ts';
import { loadEvents } from '../src/eval/load-sessions.ts';
import { MemoryFeatureStore } from '../src/features/memory/memory-store.ts';
import { SESSION_SLOT_BYTES } from '../src/features/memory/session-table.ts';
import { streamConfig } from '../src/system.ts';
import { categoryOf, info, itemId, parseOptions, priceOf, Rng, round, Zipf, type OptionSpec, type Result } from './support.ts';

export const options = {
  sessions: { default: 1_000_000, help: 'distinct live sessions' },
  items: { default: 50_000, help: 'catalogue size (Zipf-distributed views)' },
  spanMinutes: { default: 20, help: 'event-time span over which the sessions start' },
} satisfies OptionSpec;

const START = Date.UTC(2024, 0, 1);

/** Four events for each session in [from, to) of `sessions`, sessions starting evenly over `spanMs`. */
function* sessionEvents(from: number, to: number, sessions: number, zipf: Zipf, spanMs: number): Generator<LoggedEvent> {
  for (let n = from; n < to; n++) {
    const t = START + Math.floor((n * spanMs) / sessions);
    const rank = zipf.sample();
    const base = { anonymousId: `device-${n}`, sessionId: `session-${n}` };
    const at = (k: number) => ({ ...base, id: `m-${n}-${k}`, ts: t + k * 5000 });
    const events: LoggedEvent['event'][] = [
      { type: 'product_view', ...at(0), itemId: itemId(rank), category: categoryOf(rank), price: priceOf(rank) },
      { type: 'scroll', ...at(1), depth: 75 },
      { type: 'dwell', ...at(2), visibleMs: 12_000, itemId: itemId(rank) },
      { type: 'add_to_cart', ...at(3), itemId: itemId(rank), category: categoryOf(rank), price: priceOf(rank), quantity: 1 },
    ];
    for (const event of events) yield { event, time: event.ts, receivedAt: event.ts };
  }
}

function measure(gc: () => void): { heapUsed: number; external: number; arrayBuffers: number; rss: number; total: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, total: m.heapUsed + m.external };
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory benchmark needs node --expose-gc (run it through npm run bench -- memory)');
  const config = loadConfig({ env: {} });
  const store = new MemoryFeatureStore({ stream: streamConfig(config) });
  const zipf = new Zipf(o.items, 1, new Rng(3));
  const spanMs = o.spanMinutes * 60_000;
  // A tenth of the sessions first: by then nearly every item has its per-item state, so the
  // growth over the other nine tenths is the marginal cost of a session.
  const tenth = Math.floor(o.sessions / 10);
  const before = measure(gc);
  const first = await loadEvents(store, sessionEvents(0, tenth, o.sessions, zipf, spanMs), 1000);
  const middle = measure(gc);
  const itemsAtTenth = store.state.items.size;
  const rest = await loadEvents(store, sessionEvents(tenth, o.sessions, o.sessions, zipf, spanMs), 1000);
  const after = measure(gc);
  const sessions = store.state.sessions;
  if (sessions.size !== o.sessions) throw new Error(`expected ${o.sessions} live sessions, the table holds ${sessions.size}`);
  const dedup = store.state.snapshot().dedup;
  const dedupBytes = dedup.keys.byteLength + dedup.buckets.byteLength;
  const delta = after.total - before.total;
  const items = store.state.items.size;
  const itemBytes = store.state.itemStats.byteLength;
  const perItem = itemBytes / items;
  const perSession = delta / o.sessions;
  const eventsPerSecond = (4 * o.sessions) / (o.spanMinutes * 60);
  info(`${round(perSession, 1)} bytes/session (heap ${round((after.heapUsed - before.heapUsed) / o.sessions, 1)}, external ${round((after.external - before.external) / o.sessions, 1)})`);
  return {
    bytesPerSession: round(perSession, 1),
    bytesPerSessionWithoutDedup: round((delta - dedupBytes) / o.sessions, 1),
    marginalBytesPerSession: round((after.total - middle.total) / (o.sessions - tenth), 1),
    itemsAtTenth,
    bytesPerSessionWithoutDedupAndItemState: round((delta - dedupBytes - itemBytes) / o.sessions, 1),
    /** Neither session table, dedup nor item stats: the session index (one JS array per indexed session), dictionaries, ... */
    otherBytesPerSession: round((delta - dedupBytes - itemBytes - sessions.byteLength) / o.sessions, 1),
    itemState: {
      items,
      itemStatsBytesPerItem: Math.round(perItem),
      bytesPerSessionHere: round(itemBytes / o.sessions, 1),
      note: 'per catalogue item (windowed counters in columns, capacity grown by doubling), not per session',
    },
    sessionTable: {
      bytesPerSession: round(sessions.byteLength / o.sessions, 1),
      slotBytes: SESSION_SLOT_BYTES,
      totalMiB: round(sessions.byteLength / 2 ** 20, 1),
    },
    dedup: {
      bytes: dedupBytes,
      shareOfDelta: round(dedupBytes / delta, 3),
      bytesPerSessionHere: round(dedupBytes / o.sessions, 1),
      liveIds: dedup.live,
      slots: dedup.keys.length,
      eventsPerSecondOfEventTime: Math.round(eventsPerSecond),
      note: 'per event within the allowed lateness, not per session: scales with event rate x lateness',
    },
    deltaMiB: {
      heapUsed: round((after.heapUsed - before.heapUsed) / 2 ** 20, 1),
      external: round((after.external - before.external) / 2 ** 20, 1),
      arrayBuffers: round((after.arrayBuffers - before.arrayBuffers) / 2 ** 20, 1),
      rss: round((after.rss - before.rss) / 2 ** 20, 1),
      total: round(delta / 2 ** 20, 1),
    },
    loaded: { events: first.events + rest.events, applied: first.applied + rest.applied, late: first.late + rest.late, duplicates: first.duplicates + rest.duplicates, items: store.state.items.size },
    config: o,
  };
}
