/**
 * Embedded feature store: state in process memory, checkpointed to DATA_DIR. A checkpoint holds
 * the state and the log positions it reflects in one file, written to a temporary name, synced
 * and renamed, so a crash leaves either the old or the new checkpoint whole. Recovery loads it
 * and the processor replays the log from its positions: nothing lost, nothing counted twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggedEvent } from '../../events/logged.ts';
import type { LogEntry, Positions } from '../../log/event-log.ts';
import { NO_ENGAGEMENT, type ApplyReport, type Engagement, type FeatureReader, type FeatureStore, type FeatureStoreStats } from '../feature-store.ts';
import { decodeCheckpoint, encodeCheckpoint, runInSlices, writeAtomically } from './checkpoint-file.ts';
import { FeatureState, type CategoryOf, type ContextQuery, type FeatureStateSnapshot, type StreamConfig } from './feature-state.ts';
import { METRIC, type ItemCounts } from './item-stats.ts';
import { TopLists } from './top-lists.ts';

const FORMAT = 'sessionwise-checkpoint-1';
const TOP_LIST_TTL_MS = 1000;
/**
 * Session key-table slots swept per upkeep tick (once a second): about half a millisecond on the
 * request thread. 65,536 took about 3 ms a tick with Diginetica loaded, a stall that showed in the
 * recommendation p99; at this pace a million-slot table is still swept every two minutes, well
 * inside the 30-minute session gap.
 */
const EXPIRY_SLOTS_PER_TICK = 8_192;

interface CheckpointFile {
  format: string;
  createdAt: number;
  config: StreamConfig;
  positions: Positions;
  state: FeatureStateSnapshot;
}

/** How long a checkpoint took, in ms: events waited for `heldMs` of its `totalMs`. */
export interface CheckpointTiming {
  heldMs: number;
  totalMs: number;
}

export interface MemoryStoreOptions {
  /** Where checkpoints live; undefined keeps state in memory only (benchmarks, eval). */
  dir?: string;
  stream: StreamConfig;
  categoryOf?: CategoryOf;
  checkpointIntervalMs?: number;
  /**
   * Refresh the top lists after this many applied events instead of once a second: offline runs
   * (eval, train) apply far faster than real time, and counting events keeps them deterministic.
   */
  topListsEveryEvents?: number;
}

export class MemoryFeatureStore implements FeatureStore, FeatureReader {
  readonly state: FeatureState;
  private readonly applied: Positions;
  private lastCheckpoint = Date.now();
  private appliedAtCheckpoint = 0;
  private readonly topLists: TopLists;
  /** When the top lists were last refreshed: wall-clock ms, or applied events with `topListsEveryEvents`. */
  private topListsAt: number | undefined;
  private writing: Promise<CheckpointTiming> | undefined;
  /** Set while a checkpoint encodes the state in slices: nothing may change it until this settles. */
  private still: Promise<void> | undefined;

  constructor(private readonly options: MemoryStoreOptions) {
    const restored = options.dir ? readCheckpoint(options.dir) : undefined;
    if (restored && restored.config.partitions !== options.stream.partitions) {
      throw new Error(`checkpoint was made with ${restored.config.partitions} partitions, configuration has ${options.stream.partitions}`);
    }
    this.state = new FeatureState(options.stream, options.categoryOf, restored?.state);
    this.applied = restored?.positions ?? new Array<number>(options.stream.partitions).fill(0);
    this.appliedAtCheckpoint = this.state.counters.applied;
    this.topLists = new TopLists(this.state.itemStats);
  }

  async positions(): Promise<Positions> {
    return [...this.applied];
  }

  async applyBatch(partition: number, entries: LogEntry<LoggedEvent>[]): Promise<ApplyReport> {
    while (this.still) await this.still;
    return this.applySync(partition, entries);
  }

  /** The synchronous core of applyBatch (also used directly by offline loaders and benchmarks). */
  applySync(partition: number, entries: LogEntry<LoggedEvent>[]): ApplyReport {
    let applied = 0;
    let duplicates = 0;
    const late: LogEntry<LoggedEvent>[] = [];
    let expected = this.applied[partition]!;
    for (const entry of entries) {
      // Entries below the stored position were applied before a restart: skip, never re-apply.
      if (entry.offset < expected) continue;
      const outcome = this.state.apply(partition, entry.value);
      if (outcome === 'applied') applied++;
      else if (outcome === 'duplicate') duplicates++;
      else late.push(entry);
      expected = entry.offset + 1;
    }
    this.applied[partition] = expected;
    return { applied, duplicates, late };
  }

  reader(_query: ContextQuery): FeatureReader {
    return this;
  }

  session(query: ContextQuery) {
    return this.state.sessionView(query);
  }

  ignored(query: ContextQuery) {
    return this.state.ignoredItems(query);
  }

  userProfile(userId: string) {
    return this.state.userProfile(userId);
  }

  neighbours(item: number) {
    return this.state.covisitation.neighbours(item);
  }

  sessionIndex() {
    return this.state.sessionIndex;
  }

  engagement(item: number): Engagement {
    const stats = this.state.itemStats;
    return stats.has(item) ? { impressions: stats.total(item, METRIC.impression), clicks: stats.total(item, METRIC.click) } : NO_ENGAGEMENT;
  }

  trending(limit: number, category?: number): number[] {
    return this.lists().trending(limit, category);
  }

  popular(limit: number): number[] {
    return this.lists().popular(limit);
  }

  itemId(item: number): string {
    return this.state.items.name(item);
  }

  itemIndex(itemId: string): number | undefined {
    return this.state.items.lookup(itemId);
  }

  categoryName(category: number): string {
    return this.state.categories.name(category);
  }

  async itemCounts(itemId: string): Promise<ItemCounts | undefined> {
    return this.state.itemCounts(itemId, this.state.watermarks.max() + this.options.stream.allowedLatenessMs);
  }

  async forgetUser(userId: string): Promise<void> {
    while (this.still) await this.still;
    this.state.forgetUser(userId);
  }

  async maintain(): Promise<void> {
    if (!this.still) this.state.expireSessions(EXPIRY_SLOTS_PER_TICK);
    const interval = this.options.checkpointIntervalMs ?? 30_000;
    if (this.options.dir && Date.now() - this.lastCheckpoint >= interval && this.state.counters.applied !== this.appliedAtCheckpoint) await this.checkpoint();
  }

  /**
   * Writes the state and positions atomically (checkpoint-file.ts: temp file, fsync, rename,
   * fsync dir) as of one instant, without holding the event loop: events wait (applyBatch) while
   * the snapshot is built in slices of a couple of milliseconds, with requests served between
   * them, and its bytes are written straight from the state; the fsync runs after. One
   * checkpoint at a time: a call while one is under way waits for it and is skipped.
   */
  async checkpoint(): Promise<CheckpointTiming | undefined> {
    const dir = this.options.dir;
    if (!dir) return undefined;
    if (this.writing) return this.writing;
    this.writing = this.writeCheckpoint(dir).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async writeCheckpoint(dir: string): Promise<CheckpointTiming> {
    const started = performance.now();
    const applied = this.state.counters.applied;
    let release = (): void => undefined;
    this.still = new Promise((resolve) => (release = resolve));
    let heldMs = 0;
    const written = (): void => {
      heldMs = performance.now() - started;
      this.still = undefined;
      release();
    };
    let chunks: Uint8Array[];
    try {
      const state = await runInSlices(this.state.snapshotSteps());
      chunks = encodeCheckpoint({ format: FORMAT, createdAt: Date.now(), config: this.options.stream, positions: this.applied, state });
    } catch (error) {
      written();
      throw error;
    }
    await writeAtomically(dir, chunks, written);
    this.lastCheckpoint = Date.now();
    this.appliedAtCheckpoint = applied;
    return { heldMs, totalMs: performance.now() - started };
  }

  stats(): FeatureStoreStats {
    return {
      counters: { ...this.state.counters },
      activeSessions: this.state.sessions.size,
      items: this.state.items.size,
      users: this.state.users.size,
      sessionBytes: this.state.sessions.byteLength,
      watermark: this.state.watermarks.max(),
    };
  }

  async close(): Promise<void> {
    await this.writing;
    await this.checkpoint();
  }

  /** The top lists, refreshed at most once a TOP_LIST_TTL_MS (or `topListsEveryEvents`). */
  private lists(): TopLists {
    const every = this.options.topListsEveryEvents;
    const now = every === undefined ? Date.now() : this.state.counters.applied;
    if (this.topListsAt !== undefined && now - this.topListsAt < (every ?? TOP_LIST_TTL_MS)) return this.topLists;
    this.topLists.refresh(this.state.takeTouchedItems(), this.state.watermarks.max() + this.options.stream.allowedLatenessMs, this.state.categories.size);
    this.topListsAt = now;
    return this.topLists;
  }
}

function readCheckpoint(dir: string): CheckpointFile | undefined {
  const path = join(dir, 'checkpoint.bin');
  if (!existsSync(path)) return undefined;
  const file = decodeCheckpoint(readFileSync(path)) as CheckpointFile;
  if (file.format !== FORMAT) throw new Error(`${path}: unknown checkpoint format ${String(file.format)}`);
  return file;
}
