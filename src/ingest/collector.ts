/**
 * The collector: validates each event of a batch on its own, enriches the valid ones (received
 * time, clock-skew correction, session assignment) and appends them durably to the event log;
 * every rejected event is kept with its original payload and reason in the invalid topic.
 */
import type { InvalidEvent, LoggedEvent } from '../events/logged.ts';
import { partitionKey } from '../events/logged.ts';
import { MAX_FUTURE_MS, MIN_TIMESTAMP_MS } from '../events/schema.ts';
import { validateEvent } from '../events/validate.ts';
import { partitionFor, type EventLog, type LogRecord } from '../log/event-log.ts';
import { encodeToken } from '../stream/processor.ts';
import { SessionAssigner } from './session-assigner.ts';

export const MAX_BATCH_EVENTS = 500;
export const MAX_BODY_BYTES = 1024 * 1024;
/** Invalid events share one partition so they read back in arrival order. */
const INVALID_KEY = 'invalid';

export interface Rejection {
  index: number;
  id?: string;
  reason: string;
}

export interface IngestResult {
  accepted: number;
  rejected: Rejection[];
  /** Read-your-writes token: pass as `after` to GET /v1/recommendations. */
  token: string;
}

/** A request the collector refuses as a whole; `status` is the HTTP status to answer. */
export class BatchError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

export class Collector {
  private readonly sessions: SessionAssigner;

  constructor(
    private readonly log: EventLog,
    sessionGapMs: number,
  ) {
    this.sessions = new SessionAssigner(sessionGapMs);
  }

  /**
   * Ingests a parsed request body, which it takes over: an accepted event without a session gets
   * it filled in place (no copy per event). Throws BatchError for a body that is not a batch
   * (after keeping it).
   */
  async ingest(body: unknown, receivedAt = Date.now(), keepRejected = true): Promise<IngestResult> {
    const events = Array.isArray(body) ? body : isBatchObject(body) ? body.events : undefined;
    if (events === undefined) {
      await this.keepBody(safeStringify(body), 'body must be {"events": [...]} or an array of events', receivedAt);
      throw new BatchError(400, 'body must be {"events": [...]} or an array of events');
    }
    if (events.length > MAX_BATCH_EVENTS) {
      await this.keepBody(safeStringify(body), `batch has ${events.length} events, the limit is ${MAX_BATCH_EVENTS}`, receivedAt);
      throw new BatchError(413, `batch has ${events.length} events, the limit is ${MAX_BATCH_EVENTS}; split it`);
    }
    const accepted: LogRecord<LoggedEvent>[] = [];
    const rejected: Rejection[] = [];
    const invalid: LogRecord<InvalidEvent>[] = [];
    for (let index = 0; index < events.length; index++) {
      const raw: unknown = events[index];
      const result = validateEvent(raw);
      let reason = result.ok ? undefined : result.reason;
      if (result.ok) {
        const event = result.event;
        const time = event.sentAt === undefined ? event.ts : event.ts + (receivedAt - event.sentAt);
        if (time > receivedAt + MAX_FUTURE_MS) reason = '/ts: more than 24 hours in the future (after clock-skew correction)';
        else if (time < MIN_TIMESTAMP_MS) reason = '/ts: before the year 2000 (after clock-skew correction)';
        else {
          event.sessionId ??= this.sessions.assign(event.anonymousId, time);
          const logged: LoggedEvent = { event: event as LoggedEvent['event'], time, receivedAt };
          accepted.push({ key: partitionKey(event), value: logged });
          continue;
        }
      }
      const id = idOf(raw);
      // Reasons quote client text (a type, a property name) and may be clipped inside a surrogate
      // pair; a lone surrogate would be answered as is but stored as U+FFFD, so the kept reason
      // would differ from the one answered.
      const why = reason!.toWellFormed();
      rejected.push(id === undefined ? { index, reason: why } : { index, id, reason: why });
      invalid.push({ key: INVALID_KEY, value: { index, ...(id === undefined ? {} : { id }), reason: why, receivedAt, payload: safeStringify(raw) } });
    }
    const [positions] = await Promise.all([this.log.append('events', accepted), keepRejected ? this.log.append('invalid', invalid) : undefined]);
    return { accepted: accepted.length, rejected, token: encodeToken(positions) };
  }

  /**
   * Re-runs kept invalid events through validation (after a fix to a client or to the schema),
   * each with its original receive time. Those that now pass are appended to the events topic;
   * those that still fail stay where they are and are not kept twice.
   */
  async replayInvalid(from: number, limit: number): Promise<{ replayed: number; accepted: number; stillInvalid: number; next: number }> {
    const entries = await this.log.read<InvalidEvent>('invalid', this.invalidPartition, from, limit);
    let accepted = 0;
    for (const { value } of entries) {
      if (value.index < 0) continue; // whole bodies that were not batches have nothing to replay
      let payload: unknown;
      try {
        payload = JSON.parse(value.payload);
      } catch {
        continue;
      }
      accepted += (await this.ingest([payload], value.receivedAt, false)).accepted;
    }
    const replayable = entries.filter((e) => e.value.index >= 0).length;
    return { replayed: replayable, accepted, stillInvalid: replayable - accepted, next: entries.length ? entries[entries.length - 1]!.offset + 1 : from };
  }

  /** The newest kept invalid events, newest last. */
  async invalidTail(limit: number): Promise<Array<{ offset: number } & InvalidEvent>> {
    const end = (await this.log.endOffsets('invalid'))[this.invalidPartition]!;
    const entries = await this.log.read<InvalidEvent>('invalid', this.invalidPartition, Math.max(0, end - limit), limit);
    return entries.map((e) => ({ offset: e.offset, ...e.value }));
  }

  private get invalidPartition(): number {
    return partitionFor(INVALID_KEY, this.log.partitions);
  }

  /** Keeps a body rejected as a whole (not JSON, not a batch, too large) in the invalid topic. */
  async keepBody(payload: string, reason: string, receivedAt = Date.now()): Promise<void> {
    await this.log.append<InvalidEvent>('invalid', [{ key: INVALID_KEY, value: { index: -1, reason, receivedAt, payload } }]);
  }
}

function isBatchObject(body: unknown): body is { events: unknown[] } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events);
}

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' && id.length <= 128 && id.isWellFormed() ? id : undefined;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    // Nesting too deep for the recursive JSON.stringify (and String()): a JSON body nested some
    // thousands deep parses fine. Keep the same text without recursion.
    return stringifyIteratively(v);
  }
}

/** JSON.stringify for parsed JSON values (no toJSON, cycles or functions), with an explicit stack. */
function stringifyIteratively(root: unknown): string {
  const out: string[] = [];
  // Literal text to emit, or a value (boxed) to serialize.
  const stack: Array<string | { value: unknown }> = [{ value: root }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const value = item.value;
    if (Array.isArray(value)) {
      out.push('[');
      stack.push(']');
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i] ?? null });
        if (i > 0) stack.push(',');
      }
    } else if (typeof value === 'object' && value !== null) {
      out.push('{');
      stack.push('}');
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i]!;
        stack.push({ value: v });
        stack.push(`${JSON.stringify(key)}:`);
        if (i > 0) stack.push(',');
      }
    } else {
      out.push(JSON.stringify(value) ?? 'null');
    }
  }
  return out.join('');
}
