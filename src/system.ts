/**
 * The composition root: builds the embedded system (LMDB event log, catalog, checkpointed
 * memory feature store, processor, recommender) from a configuration. Every role runs here.
 */
import { join } from 'node:path';
import { Catalog } from './catalog/catalog.ts';
import type { Config } from './config/config.ts';
import type { FeatureStore } from './features/feature-store.ts';
import { MemoryFeatureStore } from './features/memory/memory-store.ts';
import { Collector } from './ingest/collector.ts';
import type { EventLog } from './log/event-log.ts';
import { LmdbEventLog } from './log/embedded/lmdb-log.ts';
import { readRankerFile } from './recommend/ranker/ranked-recommender.ts';
import { FeedbackRecommender } from './recommend/feedback/feedback.ts';
import type { Recommender } from './recommend/recommender.ts';
import { LocalSessionUpdates, type SessionUpdates } from './serve/push/session-updates.ts';
import { DEFAULT_RULES, Rules } from './recommend/rules/rules.ts';
import { createRecommender, readParamsFile } from './recommend/strategies.ts';
import { StreamProcessor } from './stream/processor.ts';

export interface System {
  config: Config;
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
  const catalog = new Catalog(join(config.dataDir, 'catalog'));
  const store = new MemoryFeatureStore({
    dir: join(config.dataDir, 'state'),
    stream: streamConfig(config),
    categoryOf: catalog.categoryOf,
    checkpointIntervalMs: config.checkpointIntervalSeconds * 1000,
  });
  const collector = new Collector(log, config.sessionGapMinutes * 60_000);
  // The processor's upkeep tick sweeps part of the session table and writes checkpoints when
  // due: once a second, or twice per checkpoint interval where that is shorter.
  const updates = new LocalSessionUpdates();
  const processor = new StreamProcessor(log, store, { updates, maintainIntervalMs: Math.min(1000, Math.max(10, (config.checkpointIntervalSeconds * 1000) / 2)) });
  const recommender = recommenderFrom(config);
  const rules = config.rulesFile ? Rules.load(config.rulesFile) : DEFAULT_RULES;
  return {
    config,
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
      await log.close();
    },
  };
}
