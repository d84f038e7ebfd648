/**
 * The outgoing event queue: batches by count and time, sends with fetch (keepalive) and, when the
 * page goes away, with sendBeacon; retries network errors and 5xx with exponential backoff (never
 * 4xx); keeps unsent events in storage (capped, oldest dropped first) so a later page sends them.
 * Events keep the id made when they were tracked, so a retry is applied once by the server.
 */
import type { Environment, KeyValueStorage } from './environment.ts';

export const QUEUE_KEY = 'sw_q';

export interface QueuedEvent {
  id: string;
  type: string;
  [field: string]: unknown;
}

export interface QueueOptions {
  /** POST URL of the collector (…/v1/events). */
  url: string;
  /** Events per request, and the count that sends a batch at once. */
  batchSize: number;
  /** Longest a background event waits for a batch to fill. */
  maxWaitMs: number;
  /** Events kept while the network is down; beyond it the oldest are dropped. */
  maxQueue: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface EventQueue {
  /** Queues an event; `urgent` sends it at the end of the current task instead of waiting for the batch. */
  add(event: QueuedEvent, urgent: boolean): void;
  /** Sends everything queued now (one batch after another); resolves when done or failed. */
  flush(): Promise<void>;
  /** The page is going away: hands whatever is not in flight to sendBeacon. */
  leave(): void;
  /** Drops everything queued, in memory and in storage. */
  clear(): void;
  readonly size: number;
}

export function createQueue(env: Environment, storage: KeyValueStorage, options: QueueOptions): EventQueue {
  let queue: QueuedEvent[] = [];
  try {
    queue = JSON.parse(storage.getItem(QUEUE_KEY) ?? '[]') as QueuedEvent[];
  } catch {
    // a corrupt queue is dropped
  }
  let inFlight: Set<string> | undefined;
  /** The request in flight, for flush() to wait on. */
  let sending: Promise<void> | undefined;
  let timer: unknown;
  let timerAt = Infinity;
  let failures = 0;
  let retryAt = 0;
  let urgent = false;

  const persist = () => (queue.length ? storage.setItem(QUEUE_KEY, JSON.stringify(queue)) : storage.removeItem(QUEUE_KEY));
  const remove = (ids: Set<string>) => {
    queue = queue.filter((e) => !ids.has(e.id));
    persist();
  };
  const body = (events: QueuedEvent[]) => JSON.stringify({ events: events.map((e) => ({ ...e, sentAt: env.now() })) });

  let sendingSoon = false;
  /** Sends one batch at `delay` from now, unless one is due sooner; a backoff holds every send. */
  const schedule = (delay: number) => {
    const at = Math.max(env.now() + delay, retryAt);
    if (at <= env.now()) {
      // At the end of this task: events of the same turn go together, before the page renders.
      if (!sendingSoon) {
        sendingSoon = true;
        queueMicrotask(() => {
          sendingSoon = false;
          void send();
        });
      }
      return;
    }
    if (at >= timerAt) return;
    env.clearTimeout(timer);
    timerAt = at;
    timer = env.setTimeout(() => {
      timerAt = Infinity;
      void send();
    }, at - env.now());
  };

  const next = () => {
    if (queue.length === 0) return;
    schedule(urgent || queue.length >= options.batchSize ? 0 : options.maxWaitMs);
  };

  const send = (): Promise<void> | undefined => {
    if (inFlight || queue.length === 0) return;
    if (env.now() < retryAt) {
      next();
      return;
    }
    return (sending = post().finally(() => (sending = undefined)));
  };

  const post = async (): Promise<void> => {
    const batch = queue.slice(0, options.batchSize);
    if (batch.length === queue.length) urgent = false;
    const ids = new Set(batch.map((e) => e.id));
    inFlight = ids;
    let status = 0;
    try {
      status = await env.post(options.url, body(batch));
    } catch {
      // network error: retried below
    }
    inFlight = undefined;
    if (status > 0 && status < 500) {
      // Accepted, or refused for good (4xx: retrying the same request cannot succeed).
      failures = 0;
      retryAt = 0;
      remove(ids);
    } else {
      failures++;
      const backoff = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (failures - 1));
      // Jitter spreads the retries of many pages after an outage.
      retryAt = env.now() + backoff / 2 + (Math.random() * backoff) / 2;
    }
    next();
  };

  return {
    add(event, isUrgent) {
      queue.push(event);
      if (queue.length > options.maxQueue) queue.splice(0, queue.length - options.maxQueue);
      persist();
      if (isUrgent) urgent = true;
      next();
    },
    async flush() {
      urgent = true;
      while (queue.length > 0 && env.now() >= retryAt) {
        const before = queue.length;
        await (sending ?? send());
        if (queue.length >= before && !sending) break;
      }
    },
    leave() {
      const waiting = queue.filter((e) => !inFlight?.has(e.id));
      for (let i = 0; i < waiting.length; i += options.batchSize) {
        const batch = waiting.slice(i, i + options.batchSize);
        if (!env.beacon(options.url, body(batch))) break;
        remove(new Set(batch.map((e) => e.id)));
      }
    },
    clear() {
      queue = [];
      persist();
    },
    get size() {
      return queue.length;
    },
  };
}
