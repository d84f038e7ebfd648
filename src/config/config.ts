/**
 * Configuration: defaults, then a JSON config file (--config or SESSIONWISE_CONFIG), then
 * environment variables (PORT, HOST, DATA_DIR, ...), then command-line flags.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address the HTTP server binds to.' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port (0 picks a free one).' }),
    dataDir: Type.String({ minLength: 1, default: './data', description: 'Event log, catalog and checkpoints.' }),
    partitions: Type.Integer({ minimum: 1, maximum: 1024, default: 8, description: 'Event log partitions (fixed once a data dir exists).' }),
    sessionGapMinutes: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'Inactivity that ends a session.' }),
    allowedLatenessSeconds: Type.Number({ minimum: 0, default: 120, description: 'How far behind the newest event time an event may arrive and still count.' }),
    checkpointIntervalSeconds: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'How often the feature state is checkpointed.' }),
    freshnessWaitMs: Type.Integer({ minimum: 0, maximum: 30_000, default: 2000, description: 'Longest a request with `after` waits for the processor.' }),
    logLevel: Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('silent')], { default: 'info' }),
    adminToken: Type.Optional(Type.String({ minLength: 16, description: 'Bearer token required by /v1/admin/* when set.' })),
    syncWrites: Type.Boolean({ default: true, description: 'fsync the event log before acknowledging (turn off only for throwaway data).' }),
    recommender: Type.Union([Type.Literal('ranked'), Type.Literal('session-knn'), Type.Literal('covisit'), Type.Literal('historical')], {
      default: 'session-knn',
      description: 'Recommender served; ranked needs modelFile.',
    }),
    modelFile: Type.Optional(Type.String({ minLength: 1, description: 'Ranker model from `sessionwise train`; selects the ranked recommender unless recommender says otherwise.' })),
    paramsFile: Type.Optional(Type.String({ minLength: 1, description: 'session-knn parameters from `sessionwise tune`.' })),
    demo: Type.Boolean({ default: true, description: 'Serve the demo shop at /demo (loads its synthetic catalog, and seeds synthetic history into an empty event log). Turn off for a real shop.' }),
    rulesFile: Type.Optional(Type.String({ minLength: 1, description: 'Compliance rules (JSON): blocked, pinned, restricted categories, per-category cap.' })),
    explorationShare: Type.Number({ minimum: 0, maximum: 0.5, default: 0.1, description: 'Share of recommendation slots filled by Thompson sampling (0 turns exploration off).' }),
    ignoredDemotion: Type.Number({ minimum: 0, maximum: 100, default: 5, description: 'Places an item drops each time the shopper was shown it and ignored it in this session.' }),
    eventLog: Type.String({ pattern: '^(embedded|kafka://.+)$', default: 'embedded', description: 'Event log: embedded (LMDB in dataDir) or kafka://host:port[,host:port...].' }),
    featureStore: Type.String({
      pattern: '^(embedded|redis://.+|redis-cluster://.+)$',
      default: 'embedded',
      description: 'Feature store: embedded (memory, checkpointed in dataDir), redis://host:port[/db] or redis-cluster://host:port[,host:port...].',
    }),
    kafkaSessionTimeoutMs: Type.Integer({ minimum: 1000, default: 10_000, description: 'How soon the consumer group gives a silent processor’s partitions to the others.' }),
    kafkaDeliveryTimeoutMs: Type.Integer({ minimum: 100, default: 5000, description: 'How long the collector waits for Kafka before it spools a batch locally.' }),
  },
  { additionalProperties: false },
);
export type Config = Static<typeof ConfigSchema>;

const check = TypeCompiler.Compile(ConfigSchema);

const flag = (v: string) => v !== 'false' && v !== '0';

const ENV: Array<[keyof Config, string, (v: string) => unknown]> = [
  ['host', 'HOST', String],
  ['port', 'PORT', Number],
  ['dataDir', 'DATA_DIR', String],
  ['partitions', 'PARTITIONS', Number],
  ['sessionGapMinutes', 'SESSION_GAP_MINUTES', Number],
  ['allowedLatenessSeconds', 'ALLOWED_LATENESS_SECONDS', Number],
  ['checkpointIntervalSeconds', 'CHECKPOINT_INTERVAL_SECONDS', Number],
  ['logLevel', 'LOG_LEVEL', String],
  ['adminToken', 'ADMIN_TOKEN', String],
  ['syncWrites', 'SYNC_WRITES', flag],
  ['recommender', 'RECOMMENDER', String],
  ['modelFile', 'MODEL_FILE', String],
  ['paramsFile', 'PARAMS_FILE', String],
  ['rulesFile', 'RULES_FILE', String],
  ['explorationShare', 'EXPLORATION_SHARE', Number],
  ['ignoredDemotion', 'IGNORED_DEMOTION', Number],
  ['demo', 'DEMO', flag],
  ['eventLog', 'EVENT_LOG', String],
  ['featureStore', 'FEATURE_STORE', String],
  ['kafkaSessionTimeoutMs', 'KAFKA_SESSION_TIMEOUT_MS', Number],
  ['kafkaDeliveryTimeoutMs', 'KAFKA_DELIVERY_TIMEOUT_MS', Number],
];

export function defaults(): Config {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) if ('default' in schema) out[key] = schema.default;
  return out as Config;
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Partial<Config> } = {}): Config {
  const env = options.env ?? process.env;
  const merged: Record<string, unknown> = { ...defaults() };
  const file = options.file ?? env.SESSIONWISE_CONFIG;
  let fileNamesRecommender = false;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(resolve(file), 'utf8'));
    } catch (error) {
      throw new Error(`config file ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`config file ${file}: must hold a JSON object`);
    Object.assign(merged, parsed);
    fileNamesRecommender = 'recommender' in parsed;
  }
  for (const [key, name, parse] of ENV) if (env[name] !== undefined && env[name] !== '') merged[key] = parse(env[name]!);
  for (const [key, value] of Object.entries(options.overrides ?? {})) if (value !== undefined) merged[key] = value;
  // A model file means the ranked engine unless a strategy was named explicitly.
  const named = fileNamesRecommender || env.RECOMMENDER !== undefined || options.overrides?.recommender !== undefined;
  if (merged.modelFile !== undefined && !named) merged.recommender = 'ranked';
  if (!check.Check(merged)) {
    const e = check.Errors(merged).First();
    throw new Error(`invalid configuration at ${e?.path ?? '/'}: ${e?.message ?? 'does not match'} (got ${JSON.stringify(e?.value)})`);
  }
  return merged;
}
