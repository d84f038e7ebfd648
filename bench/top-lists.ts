/**
 * The top lists' refresh: what the memory store spends, on the request thread once a second, to
 * bring its trending and popular lists (overall and per category) up to the events of that
 * second. Views of Zipf-distributed items stream in at a given rate; after a warm-up, each
 * second's events are applied and the lists read, and the read that refreshes them is timed.
 * The same run without categories gives the overall lists' share.
 */
import type { LoggedEvent } from '../src/events/logged.ts';
import { loadEvents } from '../src/eval/load-sessions.ts';
import { MemoryFeatureStore } from '../src/features/memory/memory-store.ts';
import { info, itemId, parseOptions, Rng, round, summarize, Zipf, type OptionSpec, type Result } from './support.ts';

export const options = {
  items: { default: 50_000, help: 'catalogue size (Zipf-distributed views)' },
  categories: { default: 1_000, help: 'categories the items fall into (0: none known)' },
  rate: { default: 10_000, help: 'events per second of event time' },
  warmup: { default: 200_000, help: 'events applied before the first timed refresh' },
  seconds: { default: 30, help: 'refreshes timed' },
} satisfies OptionSpec;

const START = Date.UTC(2024, 0, 1, 8);

function* views(zipf: Zipf, o: { categories: number; rate: number }, from: number, count: number): Generator<LoggedEvent> {
  for (let n = from; n < from + count; n++) {
    const rank = zipf.sample();
    const time = START + Math.floor((n * 1000) / o.rate);
    const session = n % 20_000;
    const event = { type: 'product_view', id: `v-${n}`, ts: time, anonymousId: `device-${session}`, sessionId: `session-${session}`, itemId: itemId(rank), ...(o.categories > 0 ? { category: `cat-${rank % o.categories}` } : {}) } as const;
    yield { event, time, receivedAt: time };
  }
}

async function timedRefreshes(o: { items: number; categories: number; rate: number; warmup: number; seconds: number }): Promise<{ firstBuildMs: number; refreshMs: number[] }> {
  // One refresh per second's worth of events, as the live store does once a wall-clock second.
  const store = new MemoryFeatureStore({ stream: { partitions: 1, sessionGapMs: 30 * 60_000, allowedLatenessMs: 2 * 60_000 }, topListsEveryEvents: o.rate });
  const zipf = new Zipf(o.items, 1, new Rng(5));
  let applied = 0;
  await loadEvents(store, views(zipf, o, applied, o.warmup), 1000);
  applied += o.warmup;
  let started = performance.now();
  store.trending(20, 0);
  const firstBuildMs = performance.now() - started;
  const refreshMs: number[] = [];
  for (let s = 0; s < o.seconds; s++) {
    await loadEvents(store, views(zipf, o, applied, o.rate), 1000);
    applied += o.rate;
    started = performance.now();
    store.trending(20, s % Math.max(1, o.categories));
    refreshMs.push(performance.now() - started);
  }
  return { firstBuildMs, refreshMs };
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const withCategories = await timedRefreshes(o);
  const overallOnly = await timedRefreshes({ ...o, categories: 0 });
  const refresh = summarize(withCategories.refreshMs, 2);
  info(`refresh: median ${refresh.p50} ms with ${o.categories} categories, ${summarize(overallOnly.refreshMs, 2).p50} ms without`);
  return {
    refreshMs: refresh,
    firstBuildMs: round(withCategories.firstBuildMs, 1),
    withoutCategories: { refreshMs: summarize(overallOnly.refreshMs, 2), firstBuildMs: round(overallOnly.firstBuildMs, 1) },
    config: o,
  };
}
