/**
 * The composition root: builds the system from a configuration. Embedded by default (LMDB event
 * log, checkpointed memory feature store, every role in one process); with EVENT_LOG=kafka://...
 * and FEATURE_STORE=redis://... the same parts run on Kafka and Redis, as one process (`start`)
 * or as separately scaled roles (collector, processor, server).
 */
import { join } from 'node:path';
import { Catalog } from './catalog/catalog.ts';
import { RedisCatalogBacking } from './catalog/redis-catalog.ts';
import type { Config } from './config/config.ts';
import type { FeatureStore } from './features/feature-store.ts';
import { MemoryFeatureStore } from './features/memory/memory-store.ts';
import { Collector } from './ingest/collector.ts';
import type { EventLog } from './log/event-log.ts';
import { LmdbEventLog } from './log/embedded/lmdb-log.ts';
import { brokersFromUrl, KafkaEventLog } from './log/kafka/kafka-log.ts';
import { RedisFeatureStore } from './features/redis/redis-store.ts';
import { RedisSessionUpdates } from './serve/push/redis-session-updates.ts';
import { SpoolingEventLog } from './log/spooling-log.ts';
import { readRankerFile } from './recommend/ranker/ranked-recommender.ts';
import { FeedbackRecommender } from './recommend/feedback/feedback.ts';
import type { Recommender } from './recommend/recommender.ts';
import { LocalSessionUpdates, type SessionUpdates } from './serve/push/session-updates.ts';
import { DEFAULT_RULES, Rules } from './recommend/rules/rules.ts';
import { createRecommender, readParamsFile } from './recommend/strategies.ts';
import { StreamProcessor } from './stream/processor.ts';

export type Role = 'collector' | 'processor' | 'server';
export const ALL_ROLES: readonly Role[] = ['collector', 'processor', 'server'];

export interface System {
  config: Config;
  /** The roles this process plays: its HTTP routes and whether it consumes the log. */
  roles: readonly Role[];
  log: EventLog;
  catalog: Catalog;
  store: FeatureStore;
  collector: Collector;
  processor: StreamProcessor;
  recommender: Recommender;
  rules: Rules;
  /** Which sessions the processor just changed, for live push. */
  updates: SessionUpdates;
  close(): Promise<void>;
}

export function streamConfig(config: Config) {
  return {
    partitions: config.partitions,
    sessionGapMs: config.sessionGapMinutes * 60_000,
    allowedLatenessMs: config.allowedLatenessSeconds * 1000,
  };
}

/** The configured recommender: the same factory `sessionwise eval` uses. */
export function recommenderFrom(config: Config): Recommender {
  const engine = createRecommender(config.recommender, {
    params: config.paramsFile ? readParamsFile(config.paramsFile).params : undefined,
    model: config.modelFile ? readRankerFile(config.modelFile) : undefined,
  });
  return new FeedbackRecommender(engine, { explorationShare: config.explorationShare, ignoredDemotion: config.ignoredDemotion });
}

/** Opens the embedded system; the processor is created but not started (see System.processor.start). */
export function openEmbeddedSystem(config: Config): System {
  const log = new LmdbEventLog({ dir: join(config.dataDir, 'log'), partitions: config.partitions, noSync: !config.syncWrites });
  const catalog = Catalog.embedded(join(config.dataDir, 'catalog'));
  const store = new MemoryFeatureStore({
    dir: join(config.dataDir, 'state'),
    stream: streamConfig(config),
    categoryOf: catalog.categoryOf,
    checkpointIntervalMs: config.checkpointIntervalSeconds * 1000,
  });
  return assemble(config, ALL_ROLES, log, catalog, store, new LocalSessionUpdates());
}

/**
 * Opens the system the configuration names, for the given roles; the processor is created but
 * not started: `start()` it where this process consumes, `follow()` it where it only serves.
 */
export async function openSystem(config: Config, roles: readonly Role[] = ALL_ROLES): Promise<System> {
  const distributed = config.eventLog !== 'embedded' || config.featureStore !== 'embedded';
  if (!distributed) {
    if (roles.length !== ALL_ROLES.length) throw new Error('separate roles need a shared log and store: set EVENT_LOG=kafka://... and FEATURE_STORE=redis://... (or run `start`)');
    return openEmbeddedSystem(config);
  }
  if (roles.length !== ALL_ROLES.length && (config.eventLog === 'embedded' || config.featureStore === 'embedded')) {
    throw new Error('separate roles need both EVENT_LOG=kafka://... and FEATURE_STORE=redis://...');
  }
  const consumes = roles.includes('processor');
  // One consumer group per role: processors split the partitions among themselves.
  const log = await openLog(config, consumes ? 'processor' : roles.join('-'));
  // Separate processes share one catalog in Redis: an upsert to any server reaches every process.
  const catalog = config.featureStore === 'embedded' ? Catalog.embedded(join(config.dataDir, 'catalog')) : await Catalog.open(new RedisCatalogBacking(config.featureStore));
  const store: FeatureStore =
    config.featureStore === 'embedded'
      ? new MemoryFeatureStore({ dir: join(config.dataDir, 'state'), stream: streamConfig(config), categoryOf: catalog.categoryOf, checkpointIntervalMs: config.checkpointIntervalSeconds * 1000 })
      : new RedisFeatureStore({
          url: config.featureStore,
          stream: streamConfig(config),
          categoryOf: catalog.categoryOf,
          dir: consumes ? join(config.dataDir, 'state') : undefined,
          checkpointIntervalMs: config.checkpointIntervalSeconds * 1000,
          log,
        });
  // The collector keeps accepting while Kafka is unreachable: into a local spool, drained in order.
  const spool = config.eventLog !== 'embedded' && roles.includes('collector') ? await new SpoolingEventLog({ primary: log, dir: join(config.dataDir, 'spool') }).open() : undefined;
  // Live-push notices travel over Redis when processors and servers are separate processes.
  const updates = store instanceof RedisFeatureStore ? new RedisSessionUpdates(store.redis) : new LocalSessionUpdates();
  return assemble(config, roles, log, catalog, store, updates, spool);
}

/** The configured event log; `client` names the consumer group (`sessionwise-<client>`) and the client. */
export async function openLog(config: Config, client: string): Promise<EventLog> {
  if (config.eventLog === 'embedded') return new LmdbEventLog({ dir: join(config.dataDir, 'log'), partitions: config.partitions, noSync: !config.syncWrites });
  return KafkaEventLog.open({
    brokers: brokersFromUrl(config.eventLog),
    partitions: config.partitions,
    groupId: `sessionwise-${client}`,
    clientId: `sessionwise-${client}`,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    deliveryTimeoutMs: config.kafkaDeliveryTimeoutMs,
  });
}

function assemble(config: Config, roles: readonly Role[], log: EventLog, catalog: Catalog, store: FeatureStore, updates: SessionUpdates, spool?: SpoolingEventLog): System {
  const collector = new Collector(spool ?? log, config.sessionGapMinutes * 60_000);
  // A store other processes write too (Redis): positions also advance from the store.
  const shared = store instanceof RedisFeatureStore;
  // The processor's upkeep tick sweeps part of the session table and writes checkpoints when
  // due: once a second, or twice per checkpoint interval where that is shorter.
  const processor = new StreamProcessor(log, store, { updates, shared, maintainIntervalMs: Math.min(1000, Math.max(10, (config.checkpointIntervalSeconds * 1000) / 2)) });
  const recommender = recommenderFrom(config);
  const rules = config.rulesFile ? Rules.load(config.rulesFile) : DEFAULT_RULES;
  return {
    config,
    roles,
    log,
    catalog,
    store,
    collector,
    processor,
    recommender,
    rules,
    updates,
    async close() {
      await processor.stop();
      await updates.close();
      await store.close();
      await catalog.close();
      await spool?.close();
      await log.close();
    },
  };
}
