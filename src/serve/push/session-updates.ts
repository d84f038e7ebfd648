/**
 * The SessionUpdates port: the processor announces which sessions its last batch changed, and
 * live-push connections (server-sent events) listen for their session. In one process the local
 * adapter below is enough; across processes a pub/sub adapter (Redis) carries the same calls.
 */

export type SessionListener = () => void;

export interface SessionUpdates {
  /** Announces that the features of these sessions changed; an id may repeat, listeners coalesce. */
  publish(sessionIds: Iterable<string>): void;
  /** Calls `listener` after each change to the session; the returned function unsubscribes. */
  subscribe(sessionId: string, listener: SessionListener): () => void;
  close(): Promise<void>;
}

/** In-process adapter: a map from session id to its listeners. */
export class LocalSessionUpdates implements SessionUpdates {
  private readonly listeners = new Map<string, Set<SessionListener>>();

  publish(sessionIds: Iterable<string>): void {
    if (this.listeners.size === 0) return;
    for (const id of sessionIds) {
      const set = this.listeners.get(id);
      if (set) for (const listener of set) listener();
    }
  }

  subscribe(sessionId: string, listener: SessionListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
