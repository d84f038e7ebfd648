/**
 * Training sessions from logged events: the JSONL that POST /v1/events takes (one event a line,
 * as `sessionwise replay` reads it) or RetailRocket's events TSV. Unlike the session-file format,
 * they tell when each click happened and on which device, so the ranker's context features (hour
 * of day, device) learn from what shoppers did instead of staying constant.
 */
import { validateEvent } from '../events/validate.ts';
import { deviceCode } from '../features/memory/session-table.ts';
import { readEvents, type ReplayFormat } from '../ingest/replay/sources.ts';
import { assignSession } from '../stream/sessions.ts';
import type { SessionContext } from './load-sessions.ts';

/** The stream's default inactivity gap (config `sessionGapMinutes`). */
const DEFAULT_SESSION_GAP_MS = 30 * 60_000;

export interface LoggedSessions {
  /** Item ids in click order, sessions by their first click. */
  sessions: string[][];
  /** When each click happened and the device named by then, at the same places. */
  contexts: SessionContext[];
  /** Events that failed validation (the collector would have rejected them): how many, and why the first did. */
  invalid: { count: number; first?: string };
}

interface OpenSession {
  items: string[];
  context: SessionContext;
  startTime: number;
  lastTime: number;
  device: number;
}

/**
 * Views, item clicks and add-to-carts are a session's clicks, as the stream counts them; other
 * events only name the device. A session is the events of one session id (the device's, where
 * an event has none) until the inactivity gap, as the stream cuts them.
 */
export async function readLoggedSessions(path: string, format: ReplayFormat, sessionGapMs = DEFAULT_SESSION_GAP_MS): Promise<LoggedSessions> {
  const events = [];
  const invalid: LoggedSessions['invalid'] = { count: 0 };
  for await (const recorded of readEvents(path, format)) {
    const checked = validateEvent(recorded.event);
    if (checked.ok) events.push(checked.event);
    else if (invalid.count++ === 0) invalid.first = `event ${JSON.stringify(recorded.event).slice(0, 120)}: ${checked.reason}`;
  }
  // Stable: events of one millisecond keep the file's order.
  events.sort((a, b) => a.ts - b.ts);

  const open = new Map<string, OpenSession>();
  const sessions: string[][] = [];
  const contexts: SessionContext[] = [];
  for (const event of events) {
    const key = event.sessionId ?? event.anonymousId;
    let session = open.get(key);
    if (session && assignSession(session, event.ts, sessionGapMs) === 'new') session = undefined;
    if (!session) {
      session = { items: [], context: { times: [], devices: [] }, startTime: event.ts, lastTime: event.ts, device: 0 };
      open.set(key, session);
    }
    session.lastTime = event.ts;
    if (event.context?.device !== undefined) session.device = deviceCode(event.context.device);
    const item = event.type === 'product_view' || event.type === 'add_to_cart' || event.type === 'click' ? event.itemId : undefined;
    if (item === undefined) continue;
    // A session joins the list with its first click, so the list is in order of first clicks.
    if (session.items.length === 0) {
      sessions.push(session.items);
      contexts.push(session.context);
    }
    session.items.push(item);
    session.context.times.push(event.ts);
    session.context.devices.push(session.device);
  }
  return { sessions, contexts, invalid };
}
