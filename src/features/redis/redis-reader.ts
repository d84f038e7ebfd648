/**
 * The read side of the Redis feature store. A FeatureReader answers synchronously, so reader()
 * fetches up front what one request reads, in three pipelined round trips: the context (and
 * profile); the postings, neighbours and session counts of the context's items; the items of the
 * most recent sessions in those postings. Ids are interned per request.
 */
import type { Cluster, Redis } from 'ioredis';
import { Dictionary } from '../memory/dictionary.ts';
import type { ContextQuery } from '../memory/feature-state.ts';
import { countAtLeast, MAX_SEQUENCE } from '../memory/session-index.ts';
import { deviceCode, type SessionView } from '../memory/session-table.ts';
import type { Device } from '../../events/schema.ts';
import { RECENT_PURCHASES, type UserProfile } from '../memory/user-profiles.ts';
import { NO_ENGAGEMENT, NOTHING_IGNORED, type Engagement, type FeatureReader, type SessionIndexReader } from '../feature-store.ts';
import { ITEM_BUCKETS, keys } from './keys.ts';

/** Most recent sessions read per context item, and in all (the memory reader samples 500 an item in process). */
const RECENT_SESSIONS_PER_ITEM = 100;
const RECENT_SESSIONS = 500;
const TOP_LIST_SIZE = 500;
const PER_BUCKET = 64;
/** Items read per category list, as the memory store keeps. */
const CATEGORY_LIST_SIZE = 50;
/** Category lists cached per process; past this many the expired ones go. */
const CACHED_CATEGORIES = 1024;
const TOP_LIST_TTL_MS = 1000;
const PANE_MS = 5 * 60_000;
const PANES = 12;

/** A session context as stored: the SessionView with external ids. */
export type StoredContext = Omit<SessionView, 'device' | 'recentItems' | 'cart' | 'interests' | 'indexRecord' | 'ignored'> & {
  /** Absent where no event named one, and in contexts stored before the device was kept. */
  device?: Device;
  recentItems: string[];
  cart: string[];
  interests: Array<[string, number]>;
  /** The session's record in the session index. */
  record: string | undefined;
  /** Items shown and not touched since, with times seen (absent in contexts stored before feedback). */
  ignored?: Array<[string, number]>;
};

export interface StoredProfile {
  affinity: Array<[string, number]>;
  time: number;
  purchases: string[];
}

/** Item ids best first, with their scores (ZREVRANGE ... WITHSCORES replies, summed per item). */
function best(replies: string[][], size: number): string[] {
  const score = new Map<string, number>();
  for (const reply of replies) for (let i = 0; i < reply.length; i += 2) score.set(reply[i]!, (score.get(reply[i]!) ?? 0) + Number(reply[i + 1]));
  return [...score].filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]).slice(0, size).map(([id]) => id);
}

/** Items with last-hour demand by that demand, then the others by popularity, as in the memory store. */
function trendingThenPopular(trending: string[], popular: readonly string[], size: number): string[] {
  const inTrending = new Set(trending);
  for (const id of popular) if (trending.length < size && !inTrending.has(id)) trending.push(id);
  return trending;
}

/**
 * Trending (by last-hour demand over the twelve 5-minute panes) and popular (by decayed demand)
 * item lists, overall and per category, shared by the requests of one process and refreshed at
 * most once a second.
 */
export class TopLists {
  private cached: { at: number; trending: string[]; popular: string[] } | undefined;
  private loading: Promise<{ trending: string[]; popular: string[] }> | undefined;
  private readonly categories = new Map<string, { at: number; items: Promise<string[]> }>();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly eventNow: () => number,
  ) {}

  async get(): Promise<{ trending: string[]; popular: string[] }> {
    if (this.cached && Date.now() - this.cached.at < TOP_LIST_TTL_MS) return this.cached;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The category's trending then popular items (its own sorted sets, one slot). */
  async category(name: string): Promise<string[]> {
    const now = Date.now();
    const cached = this.categories.get(name);
    if (cached && now - cached.at < TOP_LIST_TTL_MS) return cached.items;
    if (this.categories.size >= CACHED_CATEGORIES) for (const [c, { at }] of this.categories) if (now - at >= TOP_LIST_TTL_MS) this.categories.delete(c);
    const newest = this.newestPane();
    const items = Promise.all([
      this.redis.zrevrange(keys.categoryPopular(name), 0, CATEGORY_LIST_SIZE - 1, 'WITHSCORES'),
      Promise.all(Array.from({ length: PANES }, (_, i) => this.redis.zrevrange(keys.categoryTrendPane(name, newest - i), 0, CATEGORY_LIST_SIZE - 1, 'WITHSCORES'))),
    ]).then(([popular, panes]) => trendingThenPopular(best(panes, CATEGORY_LIST_SIZE), best([popular], CATEGORY_LIST_SIZE), CATEGORY_LIST_SIZE));
    // A failed read is not kept: the next request tries again.
    items.catch(() => this.categories.delete(name));
    this.categories.set(name, { at: now, items });
    return items;
  }

  private newestPane(): number {
    const latest = this.eventNow();
    return Math.floor((Number.isFinite(latest) ? latest : Date.now()) / PANE_MS);
  }

  private async load(): Promise<{ trending: string[]; popular: string[] }> {
    const newestPane = this.newestPane();
    // Each bucket's best, merged: items spread evenly over the buckets, so a bucket's share of the
    // best TOP_LIST_SIZE stays far below PER_BUCKET.
    const buckets = Array.from({ length: ITEM_BUCKETS }, (_, b) => b);
    const [popularLists, paneLists] = await Promise.all([
      Promise.all(buckets.map((b) => this.redis.zrevrange(keys.popular(b), 0, PER_BUCKET - 1, 'WITHSCORES'))),
      Promise.all(buckets.flatMap((b) => Array.from({ length: PANES }, (_, i) => this.redis.zrevrange(keys.trendPane(b, newestPane - i), 0, PER_BUCKET - 1, 'WITHSCORES')))),
    ]);
    const popular = best(popularLists, TOP_LIST_SIZE);
    const trending = trendingThenPopular(best(paneLists, TOP_LIST_SIZE), popular, TOP_LIST_SIZE);
    this.cached = { at: Date.now(), trending, popular };
    return this.cached;
  }
}

export async function prefetch(redis: Redis | Cluster, query: ContextQuery, tops: TopLists, opened: number): Promise<FeatureReader> {
  const [context, profile, lists] = await Promise.all([readContext(redis, query), query.userId === undefined ? null : redis.get(keys.profile(query.userId)), tops.get()]);
  const items = [...new Set(context?.recentItems ?? [])];
  const stored = profile === null ? undefined : (JSON.parse(profile) as StoredProfile);
  // The user's recent purchases: the recommender reads what was viewed together with them.
  const purchased = (stored?.purchases.slice(-RECENT_PURCHASES) ?? []).filter((id) => !items.includes(id));
  // The session's main category (interests come heaviest first): the recommender reads its trends.
  const category = context?.interests[0]?.[0];
  const [perItem, purchasedNeighbours, categoryTrending] = await Promise.all([
    Promise.all(items.map((id) => Promise.all([redis.lrange(keys.postings(id), 0, RECENT_SESSIONS_PER_ITEM - 1), redis.hgetall(keys.neighbours(id)), redis.hget(keys.itemStats(id), 'sc')]))),
    Promise.all(purchased.map((id) => redis.hgetall(keys.neighbours(id)))),
    category === undefined ? [] : tops.category(category),
  ]);
  // The most recent sessions first, across items, up to the budget.
  const wanted = new Set<string>();
  for (let rank = 0; rank < RECENT_SESSIONS_PER_ITEM && wanted.size < RECENT_SESSIONS; rank++) {
    for (const [postings] of perItem) if (rank < postings.length && wanted.size < RECENT_SESSIONS) wanted.add(postings[rank]!);
  }
  // Records live in their partition's hash: one HMGET per partition.
  const byPartition = new Map<number, string[]>();
  for (const id of wanted) {
    const dot = id.indexOf('.');
    const partition = Number(id.slice(0, dot));
    let local = byPartition.get(partition);
    if (!local) byPartition.set(partition, (local = []));
    local.push(id.slice(dot + 1));
  }
  const recordIds: string[] = [];
  const recordItems: Array<string | null> = [];
  const fetched = await Promise.all([...byPartition].map(([partition, local]) => redis.hmget(keys.records(partition), ...local)));
  [...byPartition].forEach(([partition, local], i) => {
    local.forEach((r, j) => {
      recordIds.push(`${partition}.${r}`);
      recordItems.push(fetched[i]![j]!);
    });
  });
  const neighbours = { items: [...items, ...purchased], tables: [...perItem.map(([, table]) => table), ...purchasedNeighbours] };
  return new PrefetchedReader(query, context, stored, { ...lists, category, categoryTrending }, opened, items, perItem, neighbours, recordIds, recordItems);
}

async function readContext(redis: Redis | Cluster, query: ContextQuery): Promise<StoredContext | undefined> {
  let text: string | null = null;
  if (query.userId !== undefined) text = await redis.get(keys.userContext(query.userId));
  else if (query.sessionId !== undefined) {
    const [user, own] = await Promise.all([redis.get(keys.sessionUser(query.sessionId)), redis.get(keys.sessionContext(query.sessionId))]);
    // An identified session reads its user's context (cross-device), as the memory store does.
    text = (user === null ? null : await redis.get(keys.userContext(user))) ?? own;
  }
  return text === null ? undefined : (JSON.parse(text) as StoredContext);
}

class PrefetchedReader implements FeatureReader {
  private readonly items = new Dictionary();
  private readonly categories = new Dictionary();
  private readonly records = new Dictionary();
  private readonly view: SessionView | undefined;
  private readonly profile: UserProfile | undefined;
  private readonly neighbourMaps = new Map<number, Map<number, number>>();
  private readonly postings = new Map<number, number[]>();
  private readonly sessionCounts = new Map<number, number>();
  private readonly sequences: number[][] = [];
  private readonly trendingItems: number[];
  private readonly popularItems: number[];
  /** The main category's trending items; no other category's are prefetched. */
  private readonly categoryTrending: { category: number; items: number[] } | undefined;
  private readonly index: SessionIndexReader;

  constructor(
    private readonly query: ContextQuery,
    context: StoredContext | undefined,
    profile: StoredProfile | undefined,
    lists: { trending: string[]; popular: string[]; category: string | undefined; categoryTrending: string[] },
    opened: number,
    contextItems: string[],
    perItem: Array<[string[], Record<string, string>, string | null]>,
    neighbours: { items: string[]; tables: Array<Record<string, string>> },
    recordIds: string[],
    recordItems: Array<string | null>,
  ) {
    const item = (id: string) => this.items.intern(id);
    this.trendingItems = lists.trending.map(item);
    this.popularItems = lists.popular.map(item);
    if (lists.category !== undefined) this.categoryTrending = { category: this.categories.intern(lists.category), items: lists.categoryTrending.map(item) };
    for (let r = 0; r < recordIds.length; r++) {
      const text = recordItems[r];
      // An aged-out record is left out of the postings below.
      if (text) this.sequences[this.records.intern(recordIds[r]!)] = (JSON.parse(text) as string[]).map(item);
    }
    contextItems.forEach((id, i) => {
      const [postings, , sessions] = perItem[i]!;
      const n = item(id);
      const live: number[] = [];
      // Stored newest first; the reader walks oldest first.
      for (let j = postings.length - 1; j >= 0; j--) {
        const r = this.records.lookup(postings[j]!);
        if (r !== undefined && this.sequences[r]) live.push(r);
      }
      this.postings.set(n, live);
      this.sessionCounts.set(n, Number(sessions ?? 0));
    });
    neighbours.items.forEach((id, i) => this.neighbourMaps.set(item(id), new Map(Object.entries(neighbours.tables[i]!).map(([to, w]) => [item(to), Number(w)]))));
    this.view = context && {
      seq: context.seq,
      startTime: context.startTime,
      lastTime: context.lastTime,
      events: context.events,
      dwellMs: context.dwellMs,
      maxScroll: context.maxScroll,
      priceMin: context.priceMin ?? undefined,
      priceMax: context.priceMax ?? undefined,
      device: deviceCode(context.device),
      recentItems: context.recentItems.map(item),
      cart: context.cart.map(item),
      interests: context.interests.map(([category, weight]) => ({ category: this.categories.intern(category), weight })),
      indexRecord: context.record === undefined ? undefined : this.records.intern(context.record),
      ignored: new Map((context.ignored ?? []).map(([id, times]) => [item(id), times])),
    };
    this.profile = profile && { affinity: new Map(profile.affinity.map(([c, w]) => [this.categories.intern(c), w])), time: profile.time, purchases: profile.purchases.map(item) };
    const sequences = this.sequences;
    const postingsOf = this.postings;
    const counts = this.sessionCounts;
    this.index = {
      opened,
      oldestLive: 0,
      sessionsWith: (i: number) => postingsOf.get(i) ?? [],
      copySessions: (ids: Int32Array, count: number, into: Int32Array, lengths: Int32Array) => {
        for (let n = 0; n < count; n++) {
          const sequence = sequences[ids[n]!] ?? [];
          into.set(sequence, n * MAX_SEQUENCE);
          lengths[n] = sequence.length;
        }
      },
      sessionCount: (i: number) => counts.get(i) ?? 0,
      newestSession: (i: number) => postingsOf.get(i)?.at(-1) ?? -1,
      sessionsSince: (i: number, from: number) => countAtLeast(postingsOf.get(i) ?? [], from),
    };
  }

  session(query: ContextQuery): SessionView | undefined {
    return query.sessionId === this.query.sessionId && query.userId === this.query.userId ? this.view : undefined;
  }

  ignored(query: ContextQuery): ReadonlyMap<number, number> {
    return this.session(query)?.ignored ?? NOTHING_IGNORED;
  }

  userProfile(userId: string): UserProfile | undefined {
    return userId === this.query.userId ? this.profile : undefined;
  }

  neighbours(item: number): ReadonlyMap<number, number> | undefined {
    return this.neighbourMaps.get(item);
  }

  /**
   * Not prefetched yet (the candidates are known only once the request runs): exploration on
   * this store samples every candidate from the same uniform prior.
   */
  engagement(): Engagement {
    return NO_ENGAGEMENT;
  }

  sessionIndex(): SessionIndexReader {
    return this.index;
  }

  trending(limit: number, category?: number): number[] {
    if (category === undefined) return this.trendingItems.slice(0, limit);
    return category === this.categoryTrending?.category ? this.categoryTrending.items.slice(0, limit) : [];
  }

  popular(limit: number): number[] {
    return this.popularItems.slice(0, limit);
  }

  itemId(item: number): string {
    return this.items.name(item);
  }

  itemIndex(itemId: string): number | undefined {
    return this.items.lookup(itemId);
  }

  categoryName(category: number): string {
    return this.categories.name(category);
  }
}
