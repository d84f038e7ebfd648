import type { TrackedEvent } from './schema.ts';

/** An accepted event as the collector writes it to the log. */
export interface LoggedEvent {
  /** The event as the client sent it, with sessionId filled in when the collector assigned it. */
  event: TrackedEvent & { sessionId: string };
  /** Event time: the client's ts corrected for clock skew (receivedAt - sentAt). */
  time: number;
  receivedAt: number;
}

/** A rejected event as kept in the invalid-events stream. */
export interface InvalidEvent {
  /** Index in the request batch; -1 when the whole body was rejected. */
  index: number;
  id?: string;
  reason: string;
  receivedAt: number;
  /** The original payload, as received (JSON text of the element, or the raw body). */
  payload: string;
}

/** Partition key: the user id when known, else the device. */
export function partitionKey(event: { userId?: string; anonymousId: string }): string {
  return event.userId ?? event.anonymousId;
}
