/**
 * The FeatureStore port: the processor applies batches of log entries together with the log
 * position they lead to; the recommender reads the features of one request. The memory store
 * (checkpointed to DATA_DIR) and the Redis store are two adapters of this interface.
 */
import type { LoggedEvent } from '../events/logged.ts';
import type { LogEntry, Positions } from '../log/event-log.ts';
import type { ContextQuery, Counters } from './memory/feature-state.ts';
import type { ItemCounts } from './memory/item-stats.ts';
import type { SessionView } from './memory/session-table.ts';
import type { SessionIndex } from './memory/session-index.ts';
import type { UserProfile } from './memory/user-profiles.ts';

export interface ApplyReport {
  applied: number;
  duplicates: number;
  /** Entries past the watermark: the processor routes them to the late topic. */
  late: LogEntry<LoggedEvent>[];
}

/** What one recommendation request may read; item and category ids are interned numbers. */
export interface FeatureReader {
  session(query: ContextQuery): SessionView | undefined;
  /** The session's `ignored` items without the rest of its view (the feedback reads only these). */
  ignored(query: ContextQuery): ReadonlyMap<number, number>;
  userProfile(userId: string): UserProfile | undefined;
  /** Items that followed or preceded `item` in sessions (co-visitation weights). */
  neighbours(item: number): Neighbours | undefined;
  /** Recent sessions by item, for nearest-neighbour candidates. */
  sessionIndex(): SessionIndexReader;
  /** How often the item was shown in tracked lists and clicked, all time: the exploration prior. */
  engagement(item: number): Engagement;
  /**
   * Items with demand in the last hour by trending score, then the others by popularity, best
   * first: overall, or within a category (empty where no item of it was counted).
   */
  trending(limit: number, category?: number): number[];
  /** Items by popularity (decayed demand), best first. */
  popular(limit: number): number[];
  itemId(item: number): string;
  itemIndex(itemId: string): number | undefined;
  categoryName(category: number): string;
}

/** Co-visitation weights of one item by neighbour item; a ReadonlyMap fits, so any store can hand one out. */
export interface Neighbours {
  readonly size: number;
  get(item: number): number | undefined;
  forEach(fn: (weight: number, item: number) => void): void;
  /** The largest weight, where the store keeps it (readers scan for it otherwise). */
  readonly strongest?: number;
  /** The sum of the weights, where the store keeps it (readers add them up otherwise). */
  readonly total?: number;
}

export interface Engagement {
  impressions: number;
  clicks: number;
}

/** An item never shown or clicked. */
export const NO_ENGAGEMENT: Engagement = { impressions: 0, clicks: 0 };

/** A session without ignored items (or no session). */
export const NOTHING_IGNORED: ReadonlyMap<number, number> = new Map();

export type SessionIndexReader = Pick<SessionIndex, 'opened' | 'oldestLive' | 'sessionsWith' | 'copySessions' | 'sessionCount' | 'newestSession' | 'sessionsSince'>;

export interface FeatureStoreStats {
  counters: Counters;
  activeSessions: number;
  items: number;
  users: number;
  sessionBytes: number;
  watermark: number;
}

export interface FeatureStore {
  /** Next log offset to apply, per partition, as stored with the state. */
  positions(): Promise<Positions>;
  /** Applies consecutive entries of one partition and stores the position after them, as one atomic step. */
  applyBatch(partition: number, entries: LogEntry<LoggedEvent>[]): Promise<ApplyReport>;
  /** At once where the store holds its features in this process; once its reads arrive where it reads over the network. */
  reader(query: ContextQuery): FeatureReader | Promise<FeatureReader>;
  itemCounts(itemId: string): Promise<ItemCounts | undefined>;
  forgetUser(userId: string): Promise<void>;
  /** Periodic upkeep: expire ended sessions, checkpoint when due. */
  maintain(): Promise<void>;
  stats(): FeatureStoreStats;
  close(): Promise<void>;
}
