/**
 * SessionUpdates across processes over Redis pub/sub: the processor that applied a batch
 * publishes the changed session ids, and every server with a live-push connection for one of
 * them hears it, whichever processor owned the partition. Ids are spread over SHARDS channels by
 * hash; a server subscribes only to the channels of sessions it has listeners for, so traffic to
 * each server grows with its own connections, not with the whole event stream.
 */
import type { Cluster, Redis } from 'ioredis';
import { partitionFor } from '../../log/event-log.ts';
import { LocalSessionUpdates, type SessionListener, type SessionUpdates } from './session-updates.ts';

const SHARDS = 256;
const CHANNEL = 'sw:sessions:';

export class RedisSessionUpdates implements SessionUpdates {
  private readonly local = new LocalSessionUpdates();
  /** Listeners per channel, to subscribe on the first and unsubscribe after the last. */
  private readonly perChannel = new Map<string, number>();
  private subscriber: Redis | Cluster | undefined;

  constructor(private readonly redis: Redis | Cluster) {}

  publish(sessionIds: Iterable<string>): void {
    const byChannel = new Map<string, Set<string>>();
    for (const id of sessionIds) {
      const channel = channelOf(id);
      let ids = byChannel.get(channel);
      if (!ids) byChannel.set(channel, (ids = new Set()));
      ids.add(id);
    }
    for (const [channel, ids] of byChannel) {
      this.redis.publish(channel, JSON.stringify([...ids])).catch(() => {
        // Live push is best effort: a missed notice delays a push until the session's next change.
      });
    }
  }

  subscribe(sessionId: string, listener: SessionListener): () => void {
    const channel = channelOf(sessionId);
    const count = this.perChannel.get(channel) ?? 0;
    this.perChannel.set(channel, count + 1);
    if (count === 0) void this.connection().subscribe(channel);
    const unsubscribe = this.local.subscribe(sessionId, listener);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      const left = this.perChannel.get(channel)! - 1;
      if (left > 0) this.perChannel.set(channel, left);
      else {
        this.perChannel.delete(channel);
        void this.subscriber?.unsubscribe(channel);
      }
    };
  }

  /** Resolves once the channels of every current listener are subscribed (a notice published before may be missed). */
  async ready(): Promise<void> {
    if (this.perChannel.size > 0) await this.connection().subscribe(...this.perChannel.keys());
  }

  async close(): Promise<void> {
    await this.local.close();
    this.perChannel.clear();
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private connection(): Redis | Cluster {
    if (!this.subscriber) {
      // A subscribed connection can do nothing else: a second one, beside the store's.
      const subscriber = this.redis.duplicate();
      subscriber.on('error', () => {
        // Reconnects and resubscribes on its own.
      });
      subscriber.on('message', (_channel: string, message: string) => this.local.publish(JSON.parse(message) as string[]));
      this.subscriber = subscriber;
    }
    return this.subscriber;
  }
}

function channelOf(sessionId: string): string {
  return CHANNEL + partitionFor(sessionId, SHARDS);
}
