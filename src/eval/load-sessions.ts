/**
 * Offline loading of session datasets in the SR-GNN preprocessed format (`train_sessions.txt`:
 * one session a line, item ids separated by spaces, sessions in time order; `test_pairs.tsv`:
 * `prefix<TAB>target`) into a memory feature store, through MemoryFeatureStore.applySync: the
 * same code that applies the stream, so the loaded state is what the live system would hold.
 *
 * The splits carry no timestamps, so events get synthetic, deterministic times: clicks 30-60 s
 * apart inside a session (well within the 30-minute session gap), sessions a few minutes apart.
 *
 * Offsets: each event gets the next offset of its partition, continuing from the store's stored
 * positions. A store loaded this way is ahead of any real event log (whose offsets start at 0),
 * so do not start a processor over a live log on it and expect new events to be consumed; it is
 * meant for evaluation and read benchmarks.
 */
import { readFileSync } from 'node:fs';
import { partitionKey, type LoggedEvent } from '../events/logged.ts';
import type { MemoryFeatureStore } from '../features/memory/memory-store.ts';
import { partitionFor, type LogEntry, type Positions } from '../log/event-log.ts';

export interface TestPair {
  /** The session so far, oldest click first. */
  prefix: string[];
  /** The next click. */
  target: string;
}

/** 2016-01-01T00:00:00Z: the synthetic clock starts here unless told otherwise. */
export const DEFAULT_START_TIME = Date.UTC(2016, 0, 1);
const DEFAULT_CLICK_GAP_MS: [number, number] = [30_000, 60_000];
const DEFAULT_SESSION_GAP_MS: [number, number] = [120_000, 300_000];

/** Parses `train_sessions.txt` text: one session a line, item ids separated by whitespace; blank lines are skipped. */
export function parseSessions(text: string): string[][] {
  const sessions: string[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed !== '') sessions.push(trimmed.split(/\s+/));
  }
  return sessions;
}

/** Parses `test_pairs.tsv` text (`prefix<TAB>target`); throws on a malformed line, naming it. */
export function parseTestPairs(text: string): TestPair[] {
  const pairs: TestPair[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const fields = line.split('\t');
    const prefix = (fields[0] ?? '').trim();
    const target = (fields[1] ?? '').trim();
    if (fields.length !== 2 || prefix === '' || target === '' || /\s/.test(target)) {
      throw new Error(`test pairs line ${n + 1}: expected "prefix<TAB>target" with a non-empty prefix and one target item`);
    }
    pairs.push({ prefix: prefix.split(/\s+/), target });
  }
  return pairs;
}

export function readSessions(path: string): string[][] {
  return parseSessions(readFileSync(path, 'utf8'));
}

export function readTestPairs(path: string): TestPair[] {
  return parseTestPairs(readFileSync(path, 'utf8'));
}

export interface SessionEventOptions {
  /** Names the sessions: sessionId `<idPrefix>-<n>`, anonymousId `<idPrefix>-device-<n>`, event id `<idPrefix>-<n>-<position>`. */
  idPrefix: string;
  /** Event time of the first click (epoch ms). */
  startTime?: number;
  /** Range of the pause between two clicks of a session; keep it under the session gap. */
  clickGapMs?: [number, number];
  /** Range of the pause between the end of a session and the start of the next (sequential sessions only). */
  sessionGapMs?: [number, number];
}

/** A deterministic number in [0, 1) for up to three integers (a small integer hash). */
export function jitter(a: number, b: number, c = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 0x1_0000_0000;
}

function within([min, max]: [number, number], u: number): number {
  return Math.round(min + (max - min) * u);
}

function clickEvent(idPrefix: string, session: number, position: number, itemId: string, time: number): LoggedEvent {
  return {
    event: {
      type: 'product_view',
      id: `${idPrefix}-${session}-${position}`,
      ts: time,
      anonymousId: `${idPrefix}-device-${session}`,
      sessionId: `${idPrefix}-${session}`,
      itemId,
    },
    time,
    receivedAt: time,
  };
}

/**
 * One product_view per click, sessions one after another in the given order (the order of
 * `train_sessions.txt` is time order): no two sessions overlap, so event time only grows.
 */
export function* sequentialSessionEvents(sessions: Iterable<string[]>, options: SessionEventOptions): Generator<LoggedEvent> {
  const clickGap = options.clickGapMs ?? DEFAULT_CLICK_GAP_MS;
  const sessionGap = options.sessionGapMs ?? DEFAULT_SESSION_GAP_MS;
  let time = options.startTime ?? DEFAULT_START_TIME;
  let n = 0;
  for (const items of sessions) {
    for (let j = 0; j < items.length; j++) {
      if (j > 0) time += within(clickGap, jitter(n, j));
      yield clickEvent(options.idPrefix, n, j, items[j]!, time);
    }
    time += within(sessionGap, jitter(n, -1));
    n++;
  }
}

/**
 * Sessions that are all live at once (test prefixes: each is a shopper's session in progress):
 * every session ends at the same moment, its clicks spaced backwards from there, and the events
 * of all sessions are returned in event-time order so none of them is late.
 */
export function liveSessionEvents(sessions: readonly string[][], options: SessionEventOptions): LoggedEvent[] {
  const clickGap = options.clickGapMs ?? DEFAULT_CLICK_GAP_MS;
  const offsets = sessions.map((items, n) => {
    const back: number[] = new Array<number>(items.length).fill(0);
    for (let j = items.length - 2; j >= 0; j--) back[j] = back[j + 1]! + within(clickGap, jitter(n, j + 1));
    return back;
  });
  const longest = offsets.reduce((m, back) => Math.max(m, back[0] ?? 0), 0);
  const end = (options.startTime ?? DEFAULT_START_TIME) + longest;
  const events: LoggedEvent[] = [];
  sessions.forEach((items, n) => items.forEach((item, j) => events.push(clickEvent(options.idPrefix, n, j, item, end - offsets[n]![j]!))));
  return events.sort((a, b) => a.time - b.time); // stable: a session's clicks keep their order on ties
}

export interface LoadReport {
  events: number;
  applied: number;
  duplicates: number;
  late: number;
  /** Latest event time loaded (-Infinity when nothing was). */
  lastTime: number;
  /** The store's next offset per partition after loading. */
  positions: Positions;
}

/**
 * Applies events to the store in per-partition batches, partitioned as the collector partitions
 * them (partitionFor(partitionKey(event))), with offsets continuing from the store's positions.
 */
export async function loadEvents(store: MemoryFeatureStore, events: Iterable<LoggedEvent>, batchSize = 1000): Promise<LoadReport> {
  const partitions = store.state.config.partitions;
  const next = await store.positions();
  const pending: LogEntry<LoggedEvent>[][] = Array.from({ length: partitions }, () => []);
  const report: LoadReport = { events: 0, applied: 0, duplicates: 0, late: 0, lastTime: -Infinity, positions: next };
  const flush = (p: number): void => {
    const batch = pending[p]!;
    if (batch.length === 0) return;
    const result = store.applySync(p, batch);
    report.applied += result.applied;
    report.duplicates += result.duplicates;
    report.late += result.late.length;
    pending[p] = [];
  };
  for (const value of events) {
    const p = partitionFor(partitionKey(value.event), partitions);
    pending[p]!.push({ partition: p, offset: next[p]!++, value });
    report.events++;
    if (value.time > report.lastTime) report.lastTime = value.time;
    if (pending[p]!.length >= batchSize) flush(p);
  }
  for (let p = 0; p < partitions; p++) flush(p);
  return report;
}
