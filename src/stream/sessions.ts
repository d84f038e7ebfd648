/**
 * Sessionization by inactivity gap. A session is one shopper's (context's) run of events with no
 * gap longer than `gapMs` in event time. Events that arrive out of order but within the gap of
 * the current session belong to it; one after a longer silence starts the next session.
 */
export const DEFAULT_SESSION_GAP_MS = 30 * 60_000;

export interface SessionClock {
  startTime: number;
  lastTime: number;
}

/** new: the event starts the context's next session; past: it belongs to an older, ended one. */
export type SessionDecision = 'new' | 'continue' | 'past';

export function assignSession(current: SessionClock | undefined, eventTime: number, gapMs: number): SessionDecision {
  if (!current) return 'new';
  if (eventTime - current.lastTime > gapMs) return 'new';
  if (current.startTime - eventTime > gapMs) return 'past';
  return 'continue';
}

/** Whether a session has ended by the watermark: no event can still arrive within its gap. */
export function sessionEnded(lastTime: number, watermark: number, gapMs: number): boolean {
  return watermark - lastTime > gapMs;
}
