/**
 * The tracker: turns calls into events of the collector's schema (ids made here, device and
 * session ids, stripped page context) and hands them to the queue. Privacy first: with Global
 * Privacy Control or Do Not Track (honoured by default) nothing is sent or stored; in consent
 * mode nothing is sent or stored before consent(true).
 */
import type { EventOf, EventType } from '../../events/schema.ts';
import type { Environment, PageInfo } from './environment.ts';
import { stripUrl } from './privacy.ts';
import { createQueue, QUEUE_KEY, type EventQueue, type QueuedEvent } from './queue.ts';
import { createSessions, DEVICE_KEY, safeStorage, SESSION_KEY, type Sessions } from './session.ts';

const USER_KEY = 'sw_u';
const CONSENT_KEY = 'sw_c';

export interface TrackerOptions {
  /** Base URL of the Sessionwise server; default: the page's own origin. */
  endpoint?: string;
  /** Per-site salt for hashing user ids in identify(); default: the page's host. */
  salt?: string;
  /** Send and store nothing until consent(true). Default false. */
  requireConsent?: boolean;
  /** Track nothing when the browser sends Global Privacy Control / Do Not Track. Default true. */
  honorGpc?: boolean;
  honorDnt?: boolean;
  /** Query parameters kept in page URLs; every other parameter and the fragment are stripped. Default none. */
  allowQueryParams?: string[];
  /** Inactivity that starts a new session. Default 30. */
  sessionGapMinutes?: number;
  /** Events per request, and the count that sends at once. Default 20. */
  batchSize?: number;
  /** Longest that impressions, scroll and dwell events wait for a batch. Default 2000. */
  flushIntervalMs?: number;
  /** Unsent events kept (in localStorage) while offline; the oldest go first. Default 500. */
  maxQueue?: number;
  /** First retry delay, doubled on each failure up to retryMaxMs. Defaults 1000 and 60000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** The fields of an event of type T that the caller gives (the tracker adds ids, time and context). */
export type EventFields<T extends EventType> = Omit<EventOf<T>, 'type' | 'id' | 'ts' | 'sentAt' | 'anonymousId' | 'sessionId' | 'userId' | 'context' | 'schemaVersion'>;

export interface ItemDetails {
  price?: number;
  quantity?: number;
  category?: string;
}

export type TrackedEvent = QueuedEvent & { ts: number; sessionId: string };

export interface Tracker {
  /** Base URL of the server, without a trailing slash. */
  readonly endpoint: string;
  /** Whether events are sent: consent given (where required) and no privacy signal honoured. */
  readonly enabled: boolean;
  /** The current session; undefined while tracking is off or before the first event. */
  readonly sessionId: string | undefined;
  /** The hashed user id after identify(). */
  readonly userId: string | undefined;
  track<T extends EventType>(type: T, fields: EventFields<T>): void;
  page(): void;
  productView(itemId: string, details?: ItemDetails): void;
  addToCart(itemId: string, details?: ItemDetails): void;
  removeFromCart(itemId: string, details?: ItemDetails): void;
  purchase(items: EventOf<'purchase'>['items'], orderId?: string): void;
  /** Free text is sent only when the site passes it here. */
  search(query: string): void;
  /** Hashes the id (SHA-256 with the site's salt) and links this device to it. */
  identify(userId: string): Promise<void>;
  consent(granted: boolean): void;
  /** Clears local state and asks the server to delete the identified user's data. */
  forget(): Promise<void>;
  flush(): Promise<void>;
  /** The page is going away: send what is queued with sendBeacon. */
  leave(): void;
  /** Calls `listener` with each event before it is queued; returns the unsubscribe function. */
  on(listener: (event: TrackedEvent) => void): () => void;
}

/** Sent at once (coalesced within a turn); the others wait for a batch. */
const BACKGROUND: ReadonlySet<string> = new Set(['impression', 'scroll', 'dwell']);

export function createTracker(options: TrackerOptions, env: Environment): Tracker {
  const info = env.page();
  const endpoint = (options.endpoint ?? new URL(info.href).origin).replace(/\/$/, '');
  const blocked = (options.honorGpc !== false && info.gpc) || (options.honorDnt !== false && info.dnt);
  const storage = safeStorage(env.storage);
  let consented = !options.requireConsent || storage.getItem(CONSENT_KEY) === '1';
  let state: { sessions: Sessions; queue: EventQueue } | undefined;
  const listeners = new Set<(event: TrackedEvent) => void>();
  const allowed = options.allowQueryParams ?? [];
  const contextOf = (page: PageInfo, referrer: string) => ({
    page: stripUrl(page.href, allowed),
    ...(referrer ? { referrer: stripUrl(referrer, allowed) } : {}),
    locale: page.locale,
    device: page.width < 768 ? 'mobile' : page.width < 1024 ? 'tablet' : 'desktop',
  });
  let context = contextOf(info, info.referrer);
  let pageViewed = false;

  const enabled = () => !blocked && consented;
  /** Storage is written only from here on: never before consent. */
  const started = () =>
    (state ??= {
      sessions: createSessions(env, storage, (options.sessionGapMinutes ?? 30) * 60_000),
      queue: createQueue(env, storage, {
        url: `${endpoint}/v1/events`,
        batchSize: options.batchSize ?? 20,
        maxWaitMs: options.flushIntervalMs ?? 2000,
        maxQueue: options.maxQueue ?? 500,
        retryBaseMs: options.retryBaseMs ?? 1000,
        retryMaxMs: options.retryMaxMs ?? 60_000,
      }),
    });

  const emit = (type: string, fields: object, eventContext = context) => {
    if (!enabled()) return;
    const { sessions, queue } = started();
    const ts = env.now();
    const userId = storage.getItem(USER_KEY);
    const event = { type, id: env.randomId(), ts, anonymousId: sessions.deviceId, sessionId: sessions.touch(ts), ...(userId ? { userId } : {}), context: eventContext, ...fields } as TrackedEvent;
    for (const listener of listeners) listener(event);
    queue.add(event, !BACKGROUND.has(type));
  };
  const item = (type: string) => (itemId: string, details?: ItemDetails) => emit(type, { itemId, ...details });

  return {
    endpoint,
    get enabled() {
      return enabled();
    },
    get sessionId() {
      return enabled() ? state?.sessions.current() : undefined;
    },
    get userId() {
      return (enabled() && storage.getItem(USER_KEY)) || undefined;
    },
    track: (type, fields) => emit(type, fields),
    page() {
      // The first page view's referrer is the document's; a route change's is the page before.
      const next = contextOf(env.page(), pageViewed ? context.page : info.referrer);
      pageViewed = true;
      // Listeners see the new page view while events they send still belong to the old page.
      emit('page_view', {}, next);
      context = next;
    },
    productView: item('product_view'),
    addToCart: item('add_to_cart'),
    removeFromCart: item('remove_from_cart'),
    purchase: (items, orderId) => emit('purchase', { items, ...(orderId ? { orderId } : {}) }),
    search: (query) => emit('search', { query }),
    async identify(userId) {
      if (!enabled()) return;
      const hashed = await env.sha256(`${options.salt ?? new URL(info.href).host}:${userId}`);
      storage.setItem(USER_KEY, hashed);
      emit('identify', { userId: hashed });
    },
    consent(granted) {
      if (granted === consented || blocked) return;
      if (granted) {
        consented = true;
        if (options.requireConsent) storage.setItem(CONSENT_KEY, '1');
        emit('consent', { granted });
        emit('page_view', {});
      } else {
        clear();
        consented = false;
      }
    },
    async forget() {
      const userId = storage.getItem(USER_KEY);
      clear();
      if (options.requireConsent) consented = false;
      if (userId) {
        const status = await env.post(`${endpoint}/v1/forget`, JSON.stringify({ userId }));
        if (status >= 300) throw new Error(`forget: the server answered ${status}`);
      }
    },
    flush: async () => state?.queue.flush(),
    leave: () => state?.queue.leave(),
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  function clear() {
    state?.queue.clear();
    state = undefined;
    for (const key of [DEVICE_KEY, SESSION_KEY, QUEUE_KEY, USER_KEY, CONSENT_KEY]) storage.removeItem(key);
  }
}
