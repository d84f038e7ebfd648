/**
 * The Redis key layout. Hash tags ({...}) choose the cluster slot: each partition's position and
 * counters share one slot; an item's counters, neighbours and recent sessions share its bucket's
 * slot, with that bucket's applied positions and its share of the top lists; one session's or
 * user's projection is one slot.
 * Every key that several events add to lives in a slot that also holds, per partition, the offset
 * up to which those additions are applied, so each slot's update is atomic on its own (Lua) and
 * Redis Cluster never needs a cross-slot transaction.
 */
import { partitionFor } from '../../log/event-log.ts';

/** Item buckets: the slots items are spread over (and the unit of one update script). */
export const ITEM_BUCKETS = 64;
const PREFIX = 'sw:';

export const keys = {
  /** Hash: pos (next offset applied), applied, duplicates, late, started, wm (latest event time seen). */
  meta: (partition: number) => `${PREFIX}{p${partition}}:meta`,
  bucketOf: (itemId: string) => partitionFor(itemId, ITEM_BUCKETS),
  /** Hash: partition -> next offset applied, for the slot of an item bucket. */
  applied: (bucket: number) => `${PREFIX}{i${bucket}}:applied`,
  /** Hash: windowed and total counts, popularity, sessions holding the item (sc). */
  itemStats: (itemId: string) => `${PREFIX}{i${keys.bucketOf(itemId)}}:st:${itemId}`,
  /** Hash: neighbour item id -> co-visitation weight. */
  neighbours: (itemId: string) => `${PREFIX}{i${keys.bucketOf(itemId)}}:nb:${itemId}`,
  /** List: ids of the most recent session records holding the item, newest first. */
  postings: (itemId: string) => `${PREFIX}{i${keys.bucketOf(itemId)}}:ps:${itemId}`,
  /** Sorted set: the bucket's items by popularity, scored relative to POPULARITY_EPOCH (top lists merge the buckets: no hot slot). */
  popular: (bucket: number) => `${PREFIX}{i${bucket}}:popular`,
  /** Sorted set: demand per item of the bucket in one 5-minute pane. */
  trendPane: (bucket: number, pane: number) => `${PREFIX}{i${bucket}}:trend:${pane}`,
  /** Sorted set: a category's items by popularity, in the slot of the category name's bucket. */
  categoryPopular: (category: string) => `${PREFIX}{i${keys.bucketOf(category)}}:cpop:${category}`,
  /** Sorted set: demand per item of a category in one 5-minute pane. */
  categoryTrendPane: (category: string, pane: number) => `${PREFIX}{i${keys.bucketOf(category)}}:ctrend:${pane}:${category}`,
  /** Hash: the partition's session records, local record id -> JSON item ids (one HMGET reads many). */
  records: (partition: number) => `${PREFIX}{p${partition}}:records`,
  /** String (JSON): the context a request by session id reads. */
  sessionContext: (sessionId: string) => `${PREFIX}ctx:{s:${sessionId}}`,
  /** String (JSON): the context a request by user id reads (cross-device). */
  userContext: (userId: string) => `${PREFIX}ctx:{u:${userId}}`,
  /** String: the user a session identified as. */
  sessionUser: (sessionId: string) => `${PREFIX}su:{${sessionId}}`,
  /** String (JSON): the user's long-term profile. */
  profile: (userId: string) => `${PREFIX}prof:{${userId}}`,
  /** Pub/sub channel of applied batches (partition:offset) and changed sessions. */
  progressChannel: () => `${PREFIX}progress`,
  sessionsChannel: () => `${PREFIX}sessions`,
};
