/**
 * Training data from logged events: the JSONL that POST /v1/events takes (one event a line, as
 * `sessionwise replay` reads it) or RetailRocket's events TSV. Unlike a session file, they tell
 * when each click happened, on which device and by whom, so `train` can replay them through the
 * stream in event-time order and take every example from the state as it stood at that moment
 * (train-ranker.ts, trainRankerFromEvents).
 */
import type { LoggedEvent } from '../events/logged.ts';
import { validateEvent } from '../events/validate.ts';
import { readEvents, type ReplayFormat } from '../ingest/replay/sources.ts';
import { assignSession } from '../stream/sessions.ts';

/** The stream's default inactivity gap (config `sessionGapMinutes`). */
const DEFAULT_SESSION_GAP_MS = 30 * 60_000;

export interface LoggedSessions {
  /** The valid events in event-time order, as the collector logs them (an event without a session id gets its device's). */
  events: LoggedEvent[];
  /** Item ids in click order, sessions by their first click. */
  sessions: string[][];
  /** For each event, the number of its session in `sessions` when it is a click, else -1. */
  sessionOf: Int32Array;
  /** For each click, its place in its session (0 for the first). */
  positionOf: Int32Array;
  /** Events that failed validation (the collector would have rejected them): how many, and why the first did. */
  invalid: { count: number; first?: string };
}

interface OpenSession {
  number: number;
  startTime: number;
  lastTime: number;
}

/**
 * Views, item clicks and add-to-carts are a session's clicks, as the stream counts them. A
 * session is the events of one session id (the device's, where an event has none) until the
 * inactivity gap, as the stream cuts them.
 */
export async function readLoggedSessions(path: string, format: ReplayFormat, sessionGapMs = DEFAULT_SESSION_GAP_MS): Promise<LoggedSessions> {
  const events: LoggedEvent[] = [];
  const invalid: LoggedSessions['invalid'] = { count: 0 };
  for await (const recorded of readEvents(path, format)) {
    const checked = validateEvent(recorded.event);
    if (!checked.ok) {
      if (invalid.count++ === 0) invalid.first = `event ${JSON.stringify(recorded.event).slice(0, 120)}: ${checked.reason}`;
      continue;
    }
    const event = { ...checked.event, sessionId: checked.event.sessionId ?? checked.event.anonymousId };
    events.push({ event, time: event.ts, receivedAt: event.ts });
  }
  // Stable: events of one millisecond keep the file's order.
  events.sort((a, b) => a.time - b.time);

  const open = new Map<string, OpenSession>();
  const sessions: string[][] = [];
  const sessionOf = new Int32Array(events.length).fill(-1);
  const positionOf = new Int32Array(events.length);
  events.forEach(({ event }, e) => {
    let session = open.get(event.sessionId);
    if (session && assignSession(session, event.ts, sessionGapMs) === 'new') session = undefined;
    if (!session) open.set(event.sessionId, (session = { number: -1, startTime: event.ts, lastTime: event.ts }));
    session.lastTime = event.ts;
    const item = event.type === 'product_view' || event.type === 'add_to_cart' || event.type === 'click' ? event.itemId : undefined;
    if (item === undefined) return;
    // A session is numbered at its first click, so the list is in order of first clicks.
    if (session.number < 0) session.number = sessions.push([]) - 1;
    const items = sessions[session.number]!;
    sessionOf[e] = session.number;
    positionOf[e] = items.length;
    items.push(item);
  });
  return { events, sessions, sessionOf, positionOf, invalid };
}
