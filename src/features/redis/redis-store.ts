/**
 * Feature store on Redis, for the distributed deployment: processors write, servers read, and
 * every process sees the same state.
 *
 * Writing (processors). Each partition's events are applied to a working state in the processor
 * (PartitionWork: the memory adapter's rules), which turns each event into effects:
 * - additions to shared aggregates (item counters, co-visitation, session-index postings, top
 *   lists, all kept per item bucket), tagged with the event's log offset and sent per cluster slot to a Lua script that
 *   applies those at or past the slot's stored position for the partition and moves that
 *   position, atomically (scripts.ts);
 * - whole values (the session context a request reads, the user profile, session records),
 *   written as they now are: idempotent;
 * - last, the partition's commit: its counters and position, atomically. A position therefore
 *   promises that every effect before it is in Redis.
 * A processor killed anywhere in between re-applies the batch later, and each slot takes each
 * event once: nothing lost, nothing counted twice. The working state itself is checkpointed to
 * DATA_DIR/state like the memory store's; a partition that arrives without it (a rebalance, a new
 * machine) is rebuilt by replaying the partition's log up to the stored position, effects off.
 *
 * Reading (servers): reader() prefetches what one request reads in three pipelined round trips
 * (redis-reader.ts); positions and counters come from the partitions' meta hashes.
 */
import { Cluster, Redis } from 'ioredis';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { LoggedEvent } from '../../events/logged.ts';
import type { EventLog, LogEntry, Positions } from '../../log/event-log.ts';
import { DAY, MINUTE } from '../../stream/windows.ts';
import type { ApplyReport, FeatureReader, FeatureStore, FeatureStoreStats } from '../feature-store.ts';
import type { CategoryOf, ContextQuery, Counters, FeatureStateSnapshot, StreamConfig } from '../memory/feature-state.ts';
import { DEMAND_WEIGHT, ItemStatsTable, POPULARITY_HALF_LIFE_MS, type ItemCounts } from '../memory/item-stats.ts';
import { deviceName } from '../memory/session-table.ts';
import { writeAtomically } from '../memory/checkpoint-file.ts';
import { PanedCounters } from '../../stream/windows.ts';
import { keys } from './keys.ts';
import { prefetch, TopLists, type StoredContext, type StoredProfile } from './redis-reader.ts';
import { APPLY_EFFECTS, COMMIT_PARTITION } from './scripts.ts';
import { PartitionWork, type EffectSink } from './working-state.ts';

const FORMAT = 'sessionwise-redis-working-state-1';
/** Popularity is stored as weight x 2^((t - epoch) / half-life): a sum that decays as one. */
export const POPULARITY_EPOCH = Date.UTC(2020, 0, 1);
const PANE_MS = 5 * MINUTE;
const PANES = 12;
/** Trend panes outlive the hour they cover by one. */
const TREND_PANE_TTL_S = 2 * 3600;
/** Session records kept for nearest-neighbour lookups, over all partitions, as the memory index keeps. */
const INDEXED_SESSIONS = 1_000_000;
const PROFILE_TTL_S = 90 * 24 * 3600;
const REPLAY_CHUNK = 2000;
const EXPIRY_SLOTS_PER_TICK = 65_536;
const COUNTERS = ['applied', 'duplicates', 'late', 'sessionsStarted', 'sessionsExpired'] as const;

export interface RedisStoreOptions {
  /** redis://host:port[/db], or redis-cluster://host:port,host:port for Redis Cluster. */
  url: string;
  stream: StreamConfig;
  categoryOf?: CategoryOf;
  /** Where this processor checkpoints its working state; undefined for servers. */
  dir?: string;
  checkpointIntervalMs?: number;
  /** The event log, to rebuild the working state of a partition this process has not followed. */
  log?: EventLog;
}

interface PartitionMeta {
  pos: number;
  counters: Counters;
  /** Latest event time seen. */
  latest: number;
}

interface WorkFile {
  format: string;
  config: StreamConfig;
  /** Per partition: the next offset the working state has applied, and the state. */
  partitions: Array<[number, number, FeatureStateSnapshot]>;
}

type RedisClient = Redis | Cluster;
interface ScriptClient {
  swEffects(numKeys: number, ...args: Array<string | number>): Promise<number>;
  swCommit(key: string, ...args: Array<string | number>): Promise<number>;
}

export function connectRedis(url: string): RedisClient {
  const cluster = /^redis-cluster:\/\/(.+)$/.exec(url);
  const client = cluster
    ? new Cluster(
        cluster[1]!.split(',').map((hostPort) => {
          const [host, port] = hostPort.split(':');
          return { host: host!, port: Number(port ?? 6379) };
        }),
        // No auto-pipelining: it groups commands by node and cannot place the scripts' variable key lists.
        {},
      )
    : new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
  client.on('error', () => {
    // Reconnects on its own; commands fail meanwhile and the caller decides.
  });
  client.defineCommand('swEffects', { lua: APPLY_EFFECTS });
  client.defineCommand('swCommit', { lua: COMMIT_PARTITION, numberOfKeys: 1 });
  return client;
}

export class RedisFeatureStore implements FeatureStore {
  readonly redis: RedisClient;
  private readonly work = new Map<number, { part: PartitionWork; next: number }>();
  private readonly meta: PartitionMeta[];
  private readonly tops: TopLists;
  /** Batches and checkpoints take turns: a checkpoint never holds a batch Redis has not committed. */
  private turn: Promise<unknown> = Promise.resolve();
  private lastCheckpoint = Date.now();
  private appliedAtCheckpoint = 0;
  private appliedHere = 0;

  constructor(private readonly options: RedisStoreOptions) {
    this.redis = connectRedis(options.url);
    this.meta = Array.from({ length: options.stream.partitions }, () => ({ pos: 0, counters: zeroCounters(), latest: -Infinity }));
    this.tops = new TopLists(this.redis, () => this.eventNow());
    const restored = options.dir ? readWorkFile(options.dir) : undefined;
    if (restored && restored.config.partitions !== options.stream.partitions) {
      throw new Error(`working state was made with ${restored.config.partitions} partitions, configuration has ${options.stream.partitions}`);
    }
    for (const [partition, next, snapshot] of restored?.partitions ?? []) {
      this.work.set(partition, { part: new PartitionWork(this.partitionConfig(), options.categoryOf, snapshot), next });
    }
  }

  /** A partition's working state indexes its share of the sessions kept. */
  private partitionConfig(): StreamConfig {
    return { ...this.options.stream, indexedSessions: this.options.stream.indexedSessions ?? Math.ceil(INDEXED_SESSIONS / this.options.stream.partitions) };
  }

  /** The positions stored in Redis (every processor's progress), with the counters beside them. */
  async positions(): Promise<Positions> {
    const rows = await Promise.all(this.meta.map((_, p) => this.redis.hgetall(keys.meta(p))));
    rows.forEach((row, p) => {
      const pos = Number(row.pos ?? 0);
      if (pos < this.meta[p]!.pos) return;
      this.meta[p] = {
        pos,
        counters: { applied: Number(row.applied ?? 0), duplicates: Number(row.duplicates ?? 0), late: Number(row.late ?? 0), sessionsStarted: Number(row.sessionsStarted ?? 0), sessionsExpired: 0 },
        latest: row.wm === undefined ? -Infinity : Number(row.wm),
      };
    });
    return this.meta.map((m) => m.pos);
  }

  applyBatch(partition: number, entries: LogEntry<LoggedEvent>[]): Promise<ApplyReport> {
    return this.inTurn(() => this.applyNow(partition, entries));
  }

  private async applyNow(partition: number, entries: LogEntry<LoggedEvent>[]): Promise<ApplyReport> {
    const report: ApplyReport = { applied: 0, duplicates: 0, late: [] };
    if (entries.length === 0) return report;
    const work = await this.workFor(partition, entries[0]!.offset);
    const stored = this.meta[partition]!.pos;
    const batch = new BatchEffects(partition, work.part);
    for (const entry of entries) {
      if (entry.offset < work.next) continue;
      // Below the stored position every effect is in Redis already: bring the working state along only.
      const live = entry.offset >= stored;
      const startedBefore = work.part.state.counters.sessionsStarted;
      const outcome = work.part.apply(partition, entry.value, live ? batch.at(entry) : undefined);
      work.next = entry.offset + 1;
      if (!live) continue;
      batch.outcome(entry, outcome, work.part.state.counters.sessionsStarted > startedBefore);
      if (outcome === 'applied') report.applied++;
      else if (outcome === 'duplicate') report.duplicates++;
      else report.late.push(entry);
    }
    const end = entries[entries.length - 1]!.offset + 1;
    if (end > stored) await batch.write(this.redis, end, this.options.stream.sessionGapMs + this.options.stream.allowedLatenessMs);
    this.appliedHere += report.applied;
    const m = this.meta[partition]!;
    if (end > m.pos) {
      m.pos = end;
      for (const c of COUNTERS) m.counters[c] += batch.tally[c];
      m.latest = Math.max(m.latest, batch.latest);
    }
    return report;
  }

  /** The partition's working state, rebuilt from the log up to `upTo` where this process has not followed it. */
  private async workFor(partition: number, upTo: number): Promise<{ part: PartitionWork; next: number }> {
    let work = this.work.get(partition);
    if (!work) this.work.set(partition, (work = { part: new PartitionWork(this.partitionConfig(), this.options.categoryOf), next: 0 }));
    while (work.next < upTo) {
      if (!this.options.log) throw new Error(`partition ${partition}: working state at ${work.next}, batch starts at ${upTo}, and no log to catch up from`);
      const missing = await this.options.log.read<LoggedEvent>('events', partition, work.next, Math.min(REPLAY_CHUNK, upTo - work.next));
      if (missing.length === 0) throw new Error(`partition ${partition}: the log has no entries from ${work.next} (retention?); cannot rebuild the working state`);
      for (const entry of missing) {
        if (entry.offset >= upTo) break;
        work.part.apply(partition, entry.value, undefined);
        work.next = entry.offset + 1;
      }
    }
    return work;
  }

  async reader(query: ContextQuery): Promise<FeatureReader> {
    return prefetch(this.redis, query, this.tops, this.meta.reduce((sum, m) => sum + m.counters.sessionsStarted, 0));
  }

  async itemCounts(itemId: string): Promise<ItemCounts | undefined> {
    const [row] = await Promise.all([this.redis.hgetall(keys.itemStats(itemId)), this.positions()]);
    if (Object.keys(row).length === 0) return undefined;
    return itemStatsFromHash(row).counts(0, this.eventNow());
  }

  async forgetUser(userId: string): Promise<void> {
    await Promise.all([this.redis.del(keys.userContext(userId)), this.redis.del(keys.profile(userId))]);
    for (const { part } of this.work.values()) part.state.forgetUser(userId);
  }

  async maintain(): Promise<void> {
    await this.inTurn(async () => {
      for (const { part } of this.work.values()) part.state.expireSessions(EXPIRY_SLOTS_PER_TICK);
      const interval = this.options.checkpointIntervalMs ?? 30_000;
      if (this.options.dir && Date.now() - this.lastCheckpoint >= interval && this.appliedHere !== this.appliedAtCheckpoint) await this.checkpoint();
    });
  }

  /** Writes every followed partition's working state and position in one file, atomically. */
  private async checkpoint(): Promise<void> {
    if (!this.options.dir || this.work.size === 0) return;
    const file: WorkFile = { format: FORMAT, config: this.options.stream, partitions: [...this.work].map(([p, w]) => [p, w.next, w.part.state.snapshot()]) };
    const applied = this.appliedHere;
    await writeAtomically(this.options.dir, [serialize(file)]);
    this.lastCheckpoint = Date.now();
    this.appliedAtCheckpoint = applied;
  }

  stats(): FeatureStoreStats {
    const counters = zeroCounters();
    for (const m of this.meta) for (const c of COUNTERS) counters[c] += m.counters[c];
    let activeSessions = 0;
    let sessionBytes = 0;
    let users = 0;
    for (const { part } of this.work.values()) {
      activeSessions += part.state.sessions.size;
      sessionBytes += part.state.sessions.byteLength;
      users += part.state.users.size;
    }
    return { counters, activeSessions, items: 0, users, sessionBytes, watermark: this.eventNow() - this.options.stream.allowedLatenessMs };
  }

  async close(): Promise<void> {
    await this.inTurn(() => this.checkpoint());
    this.redis.disconnect();
  }

  /** The event-time clock of time-based features: the latest event time seen by any partition. */
  private eventNow(): number {
    let latest = -Infinity;
    for (const m of this.meta) if (m.latest > latest) latest = m.latest;
    return latest;
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn);
    this.turn = run.catch(() => undefined);
    return run;
  }
}

/** The effects of one batch of one partition, grouped by the slot that takes them. */
class BatchEffects implements EffectSink {
  private readonly slots = new Map<number, { keys: string[]; index: Map<string, number>; args: Array<string | number> }>();
  private readonly commit: Array<string | number> = [];
  private readonly sessions = new Set<string>();
  private readonly users = new Set<string>();
  private readonly identified = new Map<string, string>();
  private readonly records = new Set<number>();
  /** Counter additions of this batch. */
  readonly tally: Counters = zeroCounters();
  latest = -Infinity;
  private offset = 0;

  constructor(
    private readonly partition: number,
    private readonly part: PartitionWork,
  ) {}

  /** Sets the event whose effects follow. */
  at(entry: LogEntry<LoggedEvent>): EffectSink {
    this.offset = entry.offset;
    return this;
  }

  outcome(entry: LogEntry<LoggedEvent>, outcome: 'applied' | 'duplicate' | 'late', started: boolean): void {
    const counter = outcome === 'applied' ? 'applied' : outcome === 'duplicate' ? 'duplicates' : 'late';
    this.commit.push(entry.offset, counter);
    this.tally[counter]++;
    if (started) {
      this.commit.push(entry.offset, 'sessionsStarted');
      this.tally.sessionsStarted++;
    }
    if (outcome !== 'applied') return;
    const { event, time } = entry.value;
    if (time > this.latest) this.latest = time;
    this.sessions.add(event.sessionId);
    if (event.userId !== undefined) this.users.add(event.userId);
    if (event.type === 'identify') this.identified.set(event.sessionId, event.userId);
  }

  counted(item: number, time: number, metric: number, n: number, category: number): void {
    const itemId = this.part.state.items.name(item);
    const weight = DEMAND_WEIGHT[metric]! * n;
    const popularity = weight === 0 ? 0 : weight * Math.pow(2, (time - POPULARITY_EPOCH) / POPULARITY_HALF_LIFE_MS);
    const bucket = keys.bucketOf(itemId);
    const pane = Math.floor(time / PANE_MS);
    this.op(bucket, 'c', keys.itemStats(itemId), metric, n, pane, Math.floor(time / DAY), popularity);
    if (weight > 0) {
      this.op(bucket, 'z', keys.popular(bucket), itemId, popularity, 0);
      this.op(bucket, 'z', keys.trendPane(bucket, pane), itemId, weight, TREND_PANE_TTL_S);
      if (category >= 0) {
        const name = this.part.state.categories.name(category);
        const slot = keys.bucketOf(name);
        this.op(slot, 'z', keys.categoryPopular(name), itemId, popularity, 0);
        this.op(slot, 'z', keys.categoryTrendPane(name, pane), itemId, weight, TREND_PANE_TTL_S);
      }
    }
  }

  covisited(weights: Map<number, Map<number, number>>): void {
    for (const [from, tos] of weights) {
      const fromId = this.part.state.items.name(from);
      for (const [to, weight] of tos) this.op(keys.bucketOf(fromId), 'n', keys.neighbours(fromId), this.part.state.items.name(to), weight);
    }
  }

  indexed(record: number, item: number, posting: boolean): void {
    this.records.add(record);
    if (!posting) return;
    const itemId = this.part.state.items.name(item);
    const bucket = keys.bucketOf(itemId);
    this.op(bucket, 'p', keys.postings(itemId), recordId(this.partition, record), this.keyIndex(bucket, keys.itemStats(itemId)));
  }

  private op(slot: number, code: string, key: string, ...args: Array<string | number>): void {
    this.slotOf(slot).args.push(this.offset, code, this.keyIndex(slot, key), ...args);
  }

  private slotOf(slot: number) {
    let s = this.slots.get(slot);
    if (!s) this.slots.set(slot, (s = { keys: [keys.applied(slot)], index: new Map(), args: [] }));
    return s;
  }

  /** The KEYS index (1-based, as Lua counts) of a key in a slot's script call. */
  private keyIndex(slot: number, key: string): number {
    const s = this.slotOf(slot);
    let i = s.index.get(key);
    if (i === undefined) {
      s.keys.push(key);
      s.index.set(key, (i = s.keys.length));
    }
    return i;
  }

  /** Writes the batch: effects and whole values together, then the partition's commit. */
  async write(redis: RedisClient, end: number, contextTtlMs: number): Promise<void> {
    const scripts = redis as unknown as ScriptClient;
    const state = this.part.state;
    const ttl = Math.ceil((2 * contextTtlMs) / 1000);
    const writes: Array<Promise<unknown>> = [];
    for (const { keys: slotKeys, args } of this.slots.values()) writes.push(scripts.swEffects(slotKeys.length, ...slotKeys, this.partition, end, ...args));
    for (const [sessionId, userId] of this.identified) writes.push(redis.set(keys.sessionUser(sessionId), userId, 'EX', ttl));
    for (const sessionId of this.sessions) {
      const view = state.sessionView({ sessionId });
      if (view) writes.push(redis.set(keys.sessionContext(sessionId), JSON.stringify(this.storedContext(view)), 'EX', ttl));
    }
    for (const userId of this.users) {
      const view = state.sessionView({ userId });
      if (view) writes.push(redis.set(keys.userContext(userId), JSON.stringify(this.storedContext(view)), 'EX', ttl));
      const profile = state.userProfile(userId);
      if (profile) {
        const stored: StoredProfile = { affinity: [...profile.affinity].map(([c, w]) => [state.categories.name(c), w]), time: profile.time, purchases: profile.purchases.map((i) => state.items.name(i)) };
        writes.push(redis.set(keys.profile(userId), JSON.stringify(stored), 'EX', PROFILE_TTL_S));
      }
    }
    const index = state.sessionIndex;
    const records = keys.records(this.partition);
    for (const record of this.records) {
      const items = Array.from({ length: index.length(record) }, (_, j) => state.items.name(index.itemAt(record, j)));
      if (items.length > 0) writes.push(redis.hset(records, String(record), JSON.stringify(items)));
      // The record this one displaces in the working state's ring leaves Redis too.
      if (record >= index.capacity) writes.push(redis.hdel(records, String(record - index.capacity)));
    }
    await Promise.all(writes);
    await scripts.swCommit(keys.meta(this.partition), end, Number.isFinite(this.latest) ? this.latest : -1, ...this.commit);
  }

  private storedContext(view: NonNullable<ReturnType<PartitionWork['state']['sessionView']>>): StoredContext {
    const state = this.part.state;
    return {
      seq: view.seq,
      startTime: view.startTime,
      lastTime: view.lastTime,
      events: view.events,
      dwellMs: view.dwellMs,
      maxScroll: view.maxScroll,
      priceMin: view.priceMin,
      priceMax: view.priceMax,
      device: deviceName(view.device),
      recentItems: view.recentItems.map((i) => state.items.name(i)),
      cart: view.cart.map((i) => state.items.name(i)),
      interests: view.interests.map(({ category, weight }) => [state.categories.name(category), weight]),
      record: view.indexRecord === undefined ? undefined : recordId(this.partition, view.indexRecord),
      ignored: [...view.ignored].map(([item, times]) => [state.items.name(item), times]),
    };
  }
}

/** A session record's id across partitions. */
function recordId(partition: number, record: number): string {
  return `${partition}.${record}`;
}

function zeroCounters(): Counters {
  return { applied: 0, duplicates: 0, late: 0, sessionsStarted: 0, sessionsExpired: 0 };
}

/** One item's counters from its Redis hash, as a one-row table of the memory adapter's layout. */
export function itemStatsFromHash(row: Record<string, string>): ItemStatsTable {
  const metrics = DEMAND_WEIGHT.length;
  const paned = (prefix: string, paneMs: number, panes: number) => {
    const counters = new PanedCounters(paneMs, panes, metrics);
    counters.ensureRows(1);
    for (let slot = 0; slot < panes; slot++) {
      const id = row[`${prefix}${slot}`];
      if (id === undefined) continue;
      counters.paneIds[slot] = Number(id);
      for (let m = 0; m < metrics; m++) counters.counts[slot * metrics + m] = Number(row[`${prefix}${slot}:${m}`] ?? 0);
    }
    return counters;
  };
  const totals = new Float64Array(metrics);
  for (let m = 0; m < metrics; m++) totals[m] = Number(row[`t${m}`] ?? 0);
  return ItemStatsTable.restore({
    panes: paned('p', PANE_MS, PANES),
    days: paned('d', DAY, 2),
    totals,
    popularity: Float64Array.of(Number(row.pop ?? 0)),
    popularityTime: Float64Array.of(POPULARITY_EPOCH),
    count: 1,
  });
}

function readWorkFile(dir: string): WorkFile | undefined {
  const path = join(dir, 'checkpoint.bin');
  if (!existsSync(path)) return undefined;
  const file = deserialize(readFileSync(path)) as WorkFile;
  if (file.format !== FORMAT) throw new Error(`${path}: not a working-state checkpoint of the Redis store (format ${String(file.format)}); use a new DATA_DIR`);
  return file;
}
