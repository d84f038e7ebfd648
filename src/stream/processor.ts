/**
 * The processor loop: consumes the events topic from the positions stored with the feature
 * state, applies each batch, routes late events to the late topic, and wakes requests waiting
 * to read their own writes.
 */
import { partitionKey, type LoggedEvent } from '../events/logged.ts';
import type { FeatureStore } from '../features/feature-store.ts';
import type { EventLog, LogConsumer, LogEntry, Positions } from '../log/event-log.ts';
import type { SessionUpdates } from '../serve/push/session-updates.ts';

export interface ProcessorOptions {
  maintainIntervalMs?: number;
  /** Told which sessions each applied batch changed, for live push. */
  updates?: SessionUpdates;
  onFatal?: (error: unknown) => void;
  /**
   * Other processes apply partitions too (a consumer group on Kafka, state in Redis): positions
   * also advance from the store, so waits and readiness cover every processor's work.
   */
  shared?: boolean;
}

/** How often a shared processor or a server reads the store's positions: while requests wait, and otherwise. */
const FOLLOW_WAITING_MS = 5;
const FOLLOW_IDLE_MS = 250;

interface Waiter {
  need: Positions;
  done: (fresh: boolean) => void;
  timer: NodeJS.Timeout;
}

export class StreamProcessor {
  private consumer: LogConsumer | undefined;
  private maintainTimer: NodeJS.Timeout | undefined;
  private applied: Positions = [];
  private waiters = new Set<Waiter>();
  private recoveryTarget: Positions = [];
  private recovered = false;
  /** False while a group consumer waits for its partitions: not ready to apply yet. */
  private consuming = true;
  private readyListeners: Array<() => void> = [];
  private followTimer: NodeJS.Timeout | undefined;
  private following = false;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly log: EventLog,
    private readonly store: FeatureStore,
    private readonly options: ProcessorOptions = {},
  ) {}

  /** Starts consuming; the returned promise resolves once the log tail present at start is applied (recovery). */
  async start(): Promise<void> {
    const { recovered } = await this.begin();
    if (this.options.shared) this.followStore();
    this.consumer = this.log.consume<LoggedEvent>('events', {
      from: (p) => this.applied[p] ?? 0,
      onBatch: async ({ partition, entries }) => {
        const report = await this.store.applyBatch(partition, entries);
        if (report.late.length > 0) {
          await this.log.append(
            'late',
            report.late.map((e) => ({ key: partitionKey(e.value.event), value: { ...e.value, partition: e.partition, offset: e.offset } })),
          );
        }
        this.applied[partition] = Math.max(this.applied[partition] ?? 0, entries[entries.length - 1]!.offset + 1);
        this.wakeWaiters();
        this.options.updates?.publish(sessionIdsOf(entries));
        this.checkRecovered();
      },
      onError: (error) => (this.options.onFatal ?? defaultFatal)(error),
    });
    this.maintainTimer = setInterval(() => {
      this.store.maintain().catch((error) => (this.options.onFatal ?? defaultFatal)(error));
    }, this.options.maintainIntervalMs ?? 5000);
    this.maintainTimer.unref();
    this.consuming = false;
    await this.consumer.ready;
    this.consuming = true;
    await recovered;
  }

  /**
   * Follows the processors' progress without consuming (a server): positions come from the store.
   * Resolves once the log tail present at the call is applied.
   */
  async follow(): Promise<void> {
    const { recovered } = await this.begin();
    this.followStore();
    await recovered;
  }

  /** Reads where the store and the log stand; `recovered` resolves once the store reaches the log's end (wrapped: an async function would wait for it). */
  private async begin(): Promise<{ recovered: Promise<void> }> {
    this.applied = await this.store.positions();
    this.recoveryTarget = await this.log.endOffsets('events');
    const recovered = new Promise<void>((resolve) => this.readyListeners.push(resolve));
    this.checkRecovered();
    return { recovered };
  }

  private followStore(): void {
    this.following = true;
    void this.followTick();
  }

  private async followTick(): Promise<void> {
    this.polling = true;
    try {
      const stored = await this.store.positions();
      for (let p = 0; p < stored.length; p++) if (stored[p]! > (this.applied[p] ?? 0)) this.applied[p] = stored[p]!;
      this.wakeWaiters();
      this.checkRecovered();
    } catch {
      // The store is unreachable for now: waits time out, the next tick tries again.
    } finally {
      this.polling = false;
    }
    if (!this.stopped) this.followTimer = setTimeout(() => void this.followTick(), this.waiters.size > 0 || !this.recovered ? FOLLOW_WAITING_MS : FOLLOW_IDLE_MS);
  }

  get ready(): boolean {
    return this.recovered && this.consuming;
  }

  /** Next offset applied, per partition. */
  get positions(): Positions {
    return [...this.applied];
  }

  /** Resolves true once every partition has applied up to `need`, false after `timeoutMs`. */
  waitFor(need: Positions, timeoutMs: number): Promise<boolean> {
    if (this.reached(need)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        need,
        done: (fresh) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(fresh);
        },
        timer: setTimeout(() => waiter.done(false), timeoutMs),
      };
      this.waiters.add(waiter);
      // A follower idles between reads of the store: read now rather than at the next idle tick.
      if (this.following && !this.polling) {
        clearTimeout(this.followTimer);
        void this.followTick();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.followTimer);
    if (this.maintainTimer) clearInterval(this.maintainTimer);
    await this.consumer?.stop();
    for (const w of this.waiters) w.done(false);
  }

  private reached(need: Positions): boolean {
    for (let p = 0; p < need.length; p++) if ((this.applied[p] ?? 0) < need[p]!) return false;
    return true;
  }

  private wakeWaiters(): void {
    for (const w of this.waiters) if (this.reached(w.need)) w.done(true);
  }

  private checkRecovered(): void {
    if (this.recovered || !this.reached(this.recoveryTarget)) return;
    this.recovered = true;
    for (const l of this.readyListeners) l();
    this.readyListeners = [];
  }
}

/** Lazy, so that an adapter with no listeners skips the walk. */
function* sessionIdsOf(entries: LogEntry<LoggedEvent>[]): Generator<string> {
  for (const entry of entries) yield entry.value.event.sessionId;
}

function defaultFatal(error: unknown): never {
  console.error('sessionwise: the stream processor failed; state is safe at its last position, restart to resume', error);
  process.exit(70);
}

/** Encodes the positions a batch reached as a read-your-writes token: "p:offset" pairs. */
export function encodeToken(positions: Array<{ partition: number; offset: number }>): string {
  const max = new Map<number, number>();
  for (const { partition, offset } of positions) max.set(partition, Math.max(max.get(partition) ?? -1, offset));
  return [...max].map(([p, o]) => `${p}:${o + 1}`).join('.');
}

/** Decodes a token; throws on malformed input. */
export function decodeToken(token: string, partitions: number): Positions {
  const need = new Array<number>(partitions).fill(0);
  if (token === '') return need;
  for (const part of token.split('.')) {
    const m = /^(\d{1,6}):(\d{1,15})$/.exec(part);
    if (!m) throw new Error(`malformed token part "${part.slice(0, 40)}"`);
    const p = Number(m[1]);
    if (p >= partitions) throw new Error(`token names partition ${p}, the log has ${partitions}`);
    need[p] = Math.max(need[p]!, Number(m[2]));
  }
  return need;
}
