/**
 * The processor's state and the one place events turn into features: dedup, lateness,
 * sessionization with cross-device continuity, and the session, user, item and global features.
 * The memory feature store checkpoints it; other stores reuse the same rules.
 */
import type { LoggedEvent } from '../../events/logged.ts';
import { DedupWindow, type DedupSnapshot } from '../../stream/dedup.ts';
import { hash52 } from '../../stream/hash.ts';
import { assignSession, sessionEnded } from '../../stream/sessions.ts';
import { Watermarks } from '../../stream/watermark.ts';
import { NOTHING_IGNORED } from '../feature-store.ts';
import { runSteps, type Steps } from './checkpoint-file.ts';
import { Covisitation, type CovisitationSnapshot } from './covisitation.ts';
import { Dictionary } from './dictionary.ts';
import { HashTable52, type HashTableSnapshot } from './hash-table.ts';
import { ItemStatsTable, METRIC, type ItemCounts, type ItemStatsSnapshot } from './item-stats.ts';
import { SessionIndex, type SessionIndexSnapshot } from './session-index.ts';
import { deviceCode, SessionTable, type SessionTableSnapshot, type SessionView } from './session-table.ts';
import { addAffinity, addPurchase, newProfile, type UserProfile } from './user-profiles.ts';

export interface StreamConfig {
  partitions: number;
  sessionGapMs: number;
  allowedLatenessMs: number;
  /** Sessions kept in the session index for nearest-neighbour lookups (the newest ones). */
  indexedSessions?: number;
}

/** How each interaction weighs on in-session interest and long-term affinity. */
const INTEREST = { view: 1, click: 1.5, cart: 3, purchase: 5 } as const;

const SEED_SESSION = 1;
const SEED_USER = 2;
const SEED_DEVICE = 3;

export type ApplyOutcome = 'applied' | 'duplicate' | 'late';

export interface Counters {
  applied: number;
  duplicates: number;
  late: number;
  sessionsStarted: number;
  sessionsExpired: number;
}

/** What item metadata the state needs from the catalog. */
export type CategoryOf = (itemId: string) => string | undefined;

export interface ContextQuery {
  sessionId?: string;
  userId?: string;
}

export class FeatureState {
  readonly items: Dictionary;
  readonly categories: Dictionary;
  readonly sessions: SessionTable;
  readonly covisitation: Covisitation;
  readonly sessionIndex: SessionIndex;
  readonly itemStats: ItemStatsTable;
  readonly users: Map<number, UserProfile>;
  readonly counters: Counters;
  readonly watermarks: Watermarks;
  private dedup: DedupWindow;
  /** device hash → user hash, for devices that identified. */
  private readonly deviceUser: HashTable52;
  /** session hash → user hash, for sessions that identified (so a request by sessionId finds the user's context). */
  private readonly sessionUser: HashTable52;
  /** Items whose counts changed since the last takeTouchedItems (for incremental top lists). */
  private touchedItems = new Set<number>();
  /** Where the incremental session-expiry sweep resumes. */
  private expiryCursor = 0;

  constructor(
    readonly config: StreamConfig,
    private readonly categoryOf: CategoryOf = () => undefined,
    restored?: FeatureStateSnapshot,
  ) {
    this.watermarks = new Watermarks(config.partitions, config.allowedLatenessMs);
    const dedupBucket = Math.max(1000, Math.floor(config.allowedLatenessMs / 8));
    if (restored) {
      this.items = Dictionary.restore(restored.items);
      this.categories = Dictionary.restore(restored.categories);
      this.sessions = SessionTable.restore(restored.sessions);
      this.covisitation = Covisitation.restore(restored.covisitation);
      this.sessionIndex = SessionIndex.restore(restored.sessionIndex);
      this.itemStats = ItemStatsTable.restore(restored.itemStats);
      this.users = restored.users;
      this.counters = restored.counters;
      this.watermarks.restore(restored.watermarks);
      this.dedup = DedupWindow.restore(dedupBucket, restored.dedup);
      this.deviceUser = HashTable52.restore(restored.deviceUser);
      this.sessionUser = HashTable52.restore(restored.sessionUser);
    } else {
      this.items = new Dictionary();
      this.categories = new Dictionary();
      this.sessions = new SessionTable();
      this.covisitation = new Covisitation();
      this.sessionIndex = new SessionIndex(config.indexedSessions);
      this.itemStats = new ItemStatsTable();
      this.users = new Map();
      this.counters = { applied: 0, duplicates: 0, late: 0, sessionsStarted: 0, sessionsExpired: 0 };
      this.dedup = new DedupWindow(dedupBucket);
      this.deviceUser = new HashTable52();
      this.sessionUser = new HashTable52();
    }
  }

  apply(partition: number, logged: LoggedEvent): ApplyOutcome {
    const { event, time } = logged;
    if (this.watermarks.observe(partition, time)) {
      this.counters.late++;
      return 'late';
    }
    if (this.dedup.checkAndAdd(event.id, time)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    // An id may go once no partition can still apply an event that old: below the least advanced
    // watermark, a retry is late everywhere and is routed, never applied.
    this.dedup.expireBefore(this.watermarks.min());
    this.counters.applied++;

    if (event.type === 'identify') {
      this.identify(event.anonymousId, event.sessionId, event.userId, time);
      return 'applied';
    }
    const slot = this.sessionSlot(event, time);
    const device = event.context?.device;
    if (slot !== undefined && device !== undefined) this.sessions.observeDevice(slot, deviceCode(device));
    switch (event.type) {
      case 'product_view':
        this.interact(slot, event.itemId, event.category, time, METRIC.view, INTEREST.view, event.userId, event.price);
        break;
      case 'click':
        if (event.itemId !== undefined) this.interact(slot, event.itemId, undefined, time, METRIC.click, INTEREST.click, event.userId);
        break;
      case 'add_to_cart': {
        const item = this.interact(slot, event.itemId, event.category, time, METRIC.cart, INTEREST.cart, event.userId, event.price);
        if (slot !== undefined) this.sessions.addToCart(slot, item);
        break;
      }
      case 'remove_from_cart': {
        const item = this.items.intern(event.itemId);
        if (slot !== undefined) this.sessions.removeFromCart(slot, item);
        break;
      }
      case 'purchase':
        for (const line of event.items) {
          const item = this.items.intern(line.itemId);
          const cat = this.categoryIndex(line.itemId, undefined);
          this.count(item, time, METRIC.purchase, line.quantity ?? 1, cat);
          if (slot !== undefined) this.sessions.removeFromCart(slot, item);
          const userKey = this.userKeyOf(event);
          if (userKey !== undefined) {
            const profile = this.profile(userKey);
            addPurchase(profile, item);
            if (cat !== undefined) addAffinity(profile, cat, INTEREST.purchase, time);
          }
        }
        break;
      case 'impression':
        for (const id of event.items) {
          const item = this.items.intern(id);
          this.count(item, time, METRIC.impression);
          if (slot !== undefined) this.sessions.addIgnored(slot, item);
        }
        break;
      case 'scroll':
        if (slot !== undefined) this.sessions.observeScroll(slot, event.depth);
        break;
      case 'dwell':
        if (slot !== undefined) this.sessions.addDwell(slot, event.visibleMs);
        break;
      case 'page_view':
      case 'search':
      case 'consent':
        break;
    }
    return 'applied';
  }

  /** Items touched since the last call. */
  takeTouchedItems(): Set<number> {
    const touched = this.touchedItems;
    this.touchedItems = new Set();
    return touched;
  }

  /**
   * Frees the state of sessions that ended by the watermark; returns how many. Sweeps at most
   * `budget` key-table slots from where the last call stopped, so upkeep never stalls requests
   * for long however many sessions are live.
   */
  expireSessions(budget = Infinity): number {
    const watermark = this.watermarks.min();
    if (watermark === -Infinity) return 0;
    const ended: number[] = [];
    this.expiryCursor = this.sessions.scan(this.expiryCursor, budget, (key, slot) => {
      if (sessionEnded(this.sessions.lastTime(slot), watermark, this.config.sessionGapMs)) ended.push(key);
    });
    for (const key of ended) this.sessions.remove(key);
    if (ended.length > 0) {
      const gone: number[] = [];
      this.sessionUser.forEach((session, user) => {
        if (this.sessions.slotOf(user) === undefined) gone.push(session);
      });
      for (const s of gone) this.sessionUser.delete(s);
    }
    this.counters.sessionsExpired += ended.length;
    return ended.length;
  }

  /** The current session context for a request, by user id (cross-device) or session id. */
  sessionView(query: ContextQuery): SessionView | undefined {
    const slot = this.sessionSlotForQuery(query);
    return slot === undefined ? undefined : this.sessions.view(slot);
  }

  /** SessionView.ignored without the rest of the view. */
  ignoredItems(query: ContextQuery): ReadonlyMap<number, number> {
    const slot = this.sessionSlotForQuery(query);
    return slot === undefined ? NOTHING_IGNORED : this.sessions.ignoredAt(slot);
  }

  private sessionSlotForQuery(query: ContextQuery): number | undefined {
    const key = this.contextKeyForQuery(query);
    return key === undefined ? undefined : this.sessions.slotOf(key);
  }

  userProfile(userId: string): UserProfile | undefined {
    return this.users.get(hash52(userId, SEED_USER));
  }

  /** An item's windowed counts as of `now`; undefined for an item never counted. */
  itemCounts(itemId: string, now: number): ItemCounts | undefined {
    const i = this.items.lookup(itemId);
    return i === undefined || !this.itemStats.has(i) ? undefined : this.itemStats.counts(i, now);
  }

  /** Forgets a user everywhere in the feature state (profile, context, device links). */
  forgetUser(userId: string): void {
    const user = hash52(userId, SEED_USER);
    this.users.delete(user);
    this.sessions.remove(user);
    const devices: number[] = [];
    this.deviceUser.forEach((d, u) => u === user && devices.push(d));
    for (const d of devices) this.deviceUser.delete(d);
    const sessions: number[] = [];
    this.sessionUser.forEach((s, u) => u === user && sessions.push(s));
    for (const s of sessions) this.sessionUser.delete(s);
  }

  private contextKeyForQuery(query: ContextQuery): number | undefined {
    if (query.userId !== undefined) return hash52(query.userId, SEED_USER);
    if (query.sessionId === undefined) return undefined;
    const session = hash52(query.sessionId, SEED_SESSION);
    return this.sessionUser.get(session) ?? session;
  }

  private userKeyOf(event: { userId?: string; anonymousId: string }): number | undefined {
    if (event.userId !== undefined) return hash52(event.userId, SEED_USER);
    return this.deviceUser.get(hash52(event.anonymousId, SEED_DEVICE));
  }

  /**
   * The context an event belongs to is its user's when the user is known (from the event or an
   * earlier identify on this device), else its session's. Returns the slot of the current session
   * of that context, starting a new one after the inactivity gap, or undefined for an event that
   * belongs to an older, already ended session.
   */
  private sessionSlot(event: { sessionId: string; userId?: string; anonymousId: string }, time: number): number | undefined {
    const key = this.userKeyOf(event) ?? hash52(event.sessionId, SEED_SESSION);
    let slot = this.sessions.slotOf(key);
    const clock = slot === undefined ? undefined : { startTime: this.sessions.startTime(slot), lastTime: this.sessions.lastTime(slot) };
    const decision = assignSession(clock, time, this.config.sessionGapMs);
    if (decision === 'past') return undefined;
    if (decision === 'new') {
      const seq = slot === undefined ? 1 : this.sessions.seq(slot) + 1;
      if (slot !== undefined) this.sessions.remove(key);
      slot = this.sessions.create(key, time, seq);
      this.counters.sessionsStarted++;
    }
    this.sessions.touch(slot!, time);
    return slot;
  }

  /** identify: the device and its session now belong to the user; an anonymous session in progress joins the user's context. */
  private identify(anonymousId: string, sessionId: string, userId: string, time: number): void {
    const user = hash52(userId, SEED_USER);
    const session = hash52(sessionId, SEED_SESSION);
    this.deviceUser.set(hash52(anonymousId, SEED_DEVICE), user);
    this.sessionUser.set(session, user);
    const anonymousSlot = this.sessions.slotOf(session);
    if (anonymousSlot === undefined) {
      this.sessionSlot({ sessionId, userId, anonymousId }, time);
      return;
    }
    const userSlot = this.sessions.slotOf(user);
    const userLive = userSlot !== undefined && assignSession({ startTime: this.sessions.startTime(userSlot), lastTime: this.sessions.lastTime(userSlot) }, time, this.config.sessionGapMs) === 'continue';
    if (!userLive) {
      if (userSlot !== undefined) this.sessions.remove(user);
      this.sessions.rekey(session, user);
      this.sessions.touch(anonymousSlot, time);
      return;
    }
    // Both live: replay the anonymous session's items and cart into the user's context, oldest first.
    const view = this.sessions.view(anonymousSlot);
    for (const item of [...view.recentItems].reverse()) this.sessions.pushItem(userSlot, item);
    for (const item of view.cart) this.sessions.addToCart(userSlot, item);
    for (const [item, times] of view.ignored) for (let t = 0; t < times; t++) this.sessions.addIgnored(userSlot, item);
    for (const { category, weight } of view.interests) this.sessions.addInterest(userSlot, category, weight);
    if (view.dwellMs > 0) this.sessions.addDwell(userSlot, view.dwellMs);
    this.sessions.observeScroll(userSlot, view.maxScroll);
    // The identifying device is the one the shopper uses now.
    if (view.device !== 0) this.sessions.observeDevice(userSlot, view.device);
    this.sessions.remove(session);
    this.sessions.touch(userSlot, time);
  }

  private interact(slot: number | undefined, itemId: string, category: string | undefined, time: number, metric: number, interest: number, userId: string | undefined, price?: number): number {
    const item = this.items.intern(itemId);
    const cat = this.categoryIndex(itemId, category);
    this.count(item, time, metric, 1, cat);
    if (slot !== undefined) {
      const previous = this.sessions.recentItems(slot, 4);
      if (previous[0] !== item) {
        this.covisitation.observe(item, previous);
      }
      this.sessions.pushItem(slot, item);
      this.sessions.clearIgnored(slot, item);
      let record = this.sessions.indexRecord(slot);
      if (record === undefined || !this.sessionIndex.isLive(record)) {
        record = this.sessionIndex.open();
        this.sessions.setIndexRecord(slot, record);
      }
      this.sessionIndex.append(record, item);
      if (cat !== undefined) this.sessions.addInterest(slot, cat, interest);
      if (price !== undefined) this.sessions.observePrice(slot, price);
    }
    if (userId !== undefined && cat !== undefined) addAffinity(this.profile(hash52(userId, SEED_USER)), cat, interest, time);
    return item;
  }

  private categoryIndex(itemId: string, fromEvent: string | undefined): number | undefined {
    const name = fromEvent ?? this.categoryOf(itemId);
    return name === undefined ? undefined : this.categories.intern(name);
  }

  private count(item: number, time: number, metric: number, n = 1, category?: number): void {
    this.touchedItems.add(item);
    this.itemStats.add(item, time, metric, n, category);
  }

  private profile(user: number): UserProfile {
    let p = this.users.get(user);
    if (!p) {
      p = newProfile();
      this.users.set(user, p);
    }
    return p;
  }

  /**
   * Views of the live state and of arrays the next snapshot packs into again, not copies:
   * serialize before the next apply or snapshot.
   */
  snapshot(): FeatureStateSnapshot {
    return runSteps(this.snapshotSteps());
  }

  /** The snapshot by steps (checkpoint-file.ts): the state must not change until it is encoded. */
  *snapshotSteps(): Steps<FeatureStateSnapshot> {
    const covisitation = yield* this.covisitation.snapshotSteps();
    const sessionIndex = yield* this.sessionIndex.snapshotSteps();
    return {
      items: this.items.snapshot(),
      categories: this.categories.snapshot(),
      sessions: this.sessions.snapshot(),
      covisitation,
      sessionIndex,
      itemStats: this.itemStats.snapshot(),
      users: this.users,
      counters: { ...this.counters },
      watermarks: this.watermarks.snapshot(),
      dedup: this.dedup.snapshot(),
      deviceUser: this.deviceUser.snapshot(),
      sessionUser: this.sessionUser.snapshot(),
    };
  }
}

export interface FeatureStateSnapshot {
  items: string[];
  categories: string[];
  sessions: SessionTableSnapshot;
  covisitation: CovisitationSnapshot;
  sessionIndex: SessionIndexSnapshot;
  itemStats: ItemStatsSnapshot;
  users: Map<number, UserProfile>;
  counters: Counters;
  watermarks: Float64Array;
  dedup: DedupSnapshot;
  deviceUser: HashTableSnapshot;
  sessionUser: HashTableSnapshot;
}
