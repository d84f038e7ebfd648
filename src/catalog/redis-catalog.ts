/**
 * The catalog in Redis, for servers and processors that run apart: items in one hash, and every
 * upsert announced on a channel with the ids it stored, so each process refreshes its in-memory
 * mirror from the hash (the stored value wins, whatever order the notices arrive in).
 */
import type { Cluster, Redis } from 'ioredis';
import { connectRedis } from '../features/redis/redis-store.ts';
import type { CatalogBacking, CatalogItem } from './catalog.ts';

const ITEMS = 'sw:catalog';
const UPSERTS = 'sw:catalog:upserts';

export class RedisCatalogBacking implements CatalogBacking {
  private readonly redis: Redis | Cluster;
  private subscriber: Redis | Cluster | undefined;

  /** `url`: as FEATURE_STORE (redis:// or redis-cluster://); the catalog keeps its own connection. */
  constructor(url: string) {
    this.redis = connectRedis(url);
  }

  async load(): Promise<CatalogItem[]> {
    const all = await this.redis.hgetall(ITEMS);
    return Object.values(all).map((text) => JSON.parse(text) as CatalogItem);
  }

  async save(items: CatalogItem[]): Promise<void> {
    await this.redis.hset(ITEMS, Object.fromEntries(items.map((item) => [item.id, JSON.stringify(item)])));
    await this.redis.publish(UPSERTS, JSON.stringify(items.map((item) => item.id)));
  }

  async watch(onItems: (items: CatalogItem[]) => void): Promise<void> {
    // A subscribed connection can do nothing else: a second one, beside the store's.
    const subscriber = this.redis.duplicate();
    subscriber.on('error', () => {
      // Reconnects and resubscribes on its own; an item missed meanwhile is read on the next restart.
    });
    subscriber.on('message', (_channel: string, message: string) => {
      const ids = JSON.parse(message) as string[];
      this.redis.hmget(ITEMS, ...ids).then(
        (texts) => onItems(texts.flatMap((text) => (text === null ? [] : [JSON.parse(text) as CatalogItem]))),
        () => undefined,
      );
    });
    await subscriber.subscribe(UPSERTS);
    this.subscriber = subscriber;
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    await this.redis.quit();
  }
}
