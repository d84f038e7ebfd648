#!/usr/bin/env node
/** The sessionwise command line: thin wrappers over the stages. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.ts';
import { Collector } from '../ingest/collector.ts';
import { replay } from '../ingest/replay/replay.ts';
import { countEvents, detectFormat, type ReplayFormat } from '../ingest/replay/sources.ts';
import { exportEvents } from '../log/export-events.ts';
import { createHttpServer } from '../serve/http.ts';
import { ALL_ROLES, openLog, openSystem, type Role } from '../system.ts';
import { evaluate, train, type PairOutcome } from '../eval/evaluate.ts';
import { readSessions, readTestPairs } from '../eval/load-sessions.ts';
import { readLoggedSessions, type LoggedSessions } from '../eval/logged-sessions.ts';
import { writeReport } from '../eval/report.ts';
import { tuneSessionKnn } from '../eval/tune.ts';
import { DEFAULT_TRAIN_OPTIONS, trainBestRanker, trainRanker, trainRankerFromEvents, type TrainRankerOptions } from '../eval/train-ranker.ts';
import { DEFAULT_GBDT_OPTIONS } from '../recommend/ranker/gbdt.ts';
import { FeedbackRecommender } from '../recommend/feedback/feedback.ts';
import { readRankerFile, writeRankerFile } from '../recommend/ranker/ranked-recommender.ts';
import { DEFAULT_KNN_PARAMS } from '../recommend/session-knn.ts';
import { createRecommender, readParamsFile, STRATEGIES, writeParamsFile, type Strategy } from '../recommend/strategies.ts';
import { progressBar } from './progress.ts';

interface TrainingInput {
  train?: string;
  events?: string;
  format?: ReplayFormat;
}

const TRAIN_OPTION = '--train <file>';
const TRAIN_HELP = 'training sessions: one session a line, item ids separated by spaces, in time order';
const EVENTS_OPTION = '--events <file>';
const EVENTS_HELP = 'or logged events (JSONL as POST /v1/events takes them, or RetailRocket\'s events TSV), replayed in event time';
const EVENTS_FORMAT = () => new Option('-f, --format <format>', 'format of --events (default: from the file name or header)').choices(['jsonl', 'retailrocket']);

/** The sessions to learn from: a session file, or logged events, which also tell each click's time, device and user. */
async function trainingSessions(opts: TrainingInput): Promise<{ sessions: string[][]; logged?: LoggedSessions; source: string }> {
  if ((opts.train === undefined) === (opts.events === undefined)) throw new InvalidArgumentError('give the training data as one of --train <sessions file> or --events <events file>');
  if (opts.train !== undefined) return { sessions: readSessions(opts.train), source: opts.train };
  const events = opts.events!;
  const logged = await readLoggedSessions(events, opts.format ?? detectFormat(events));
  if (logged.invalid.count > 0) console.error(`${events}: ${logged.invalid.count} invalid events left out (the collector would reject them); the first: ${logged.invalid.first}`);
  if (logged.sessions.length === 0) throw new InvalidArgumentError(`${events}: no product views, item clicks or add-to-carts to learn from`);
  return { sessions: logged.sessions, logged, source: events };
}

const program = new Command();
program
  .name('sessionwise')
  .description('Real-time, session-aware recommendations. Runs on embedded defaults (data in ./data); see README.md.')
  .showHelpAfterError();

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}
function positiveInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}
/** A comma-separated list of positive whole numbers. */
function positiveIntegers(v: string): number[] {
  return v.split(',').map((part) => positiveInteger(part.trim()));
}
function share(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 0.5) throw new InvalidArgumentError('must be a share between 0 and 0.5');
  return n;
}
function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const configOptions = (cmd: Command) =>
  cmd
    .option('-c, --config <file>', 'JSON config file (also SESSIONWISE_CONFIG)')
    .option('-d, --data-dir <dir>', 'data folder: event log, catalog, checkpoints (also DATA_DIR; default ./data)');

function configFrom(opts: { config?: string; dataDir?: string; port?: number; host?: string }): Config {
  return loadConfig({ file: opts.config, overrides: { dataDir: opts.dataDir, port: opts.port, host: opts.host } });
}

/** Runs the given roles in this process until SIGINT or SIGTERM. */
async function runRoles(roles: readonly Role[], opts: { config?: string; dataDir?: string; port?: number; host?: string }): Promise<void> {
  const config = configFrom(opts);
  const system = await openSystem(config, roles);
  const app = await createHttpServer(system);
  // The API answers health checks during recovery; /readyz turns ready once the log tail is applied.
  await app.listen({ port: config.port, host: config.host });
  const started = Date.now();
  if (roles.includes('processor')) await system.processor.start();
  else if (roles.includes('server')) await system.processor.follow();
  app.log.info({ roles, recoveredInMs: Date.now() - started, positions: system.processor.positions }, 'ready');
  const shutdown = async (signal: string) => {
    app.log.info(`${signal}: shutting down (checkpointing state)`);
    await app.close();
    await system.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

const roleCommands: Array<[string, readonly Role[], string]> = [
  ['start', ALL_ROLES, 'Run every role in one process: collector, stream processor and serving API (embedded defaults, or Kafka and Redis when EVENT_LOG and FEATURE_STORE name them).'],
  ['collector', ['collector'], 'Run the collector role: validate POST /v1/events and append to Kafka (spooling locally while Kafka is unreachable). Needs EVENT_LOG=kafka://... and FEATURE_STORE=redis://...'],
  ['processor', ['processor'], 'Run the stream processor role: consume events in the processors\' consumer group and apply them to Redis. Serves /healthz, /readyz and /metrics. Needs EVENT_LOG and FEATURE_STORE.'],
  ['server', ['server'], 'Run the serving role: recommendations, items and sessions read from Redis (stateless). Needs EVENT_LOG and FEATURE_STORE.'],
];
for (const [name, roles, description] of roleCommands) {
  configOptions(
    program
      .command(name)
      .description(description)
      .option('-p, --port <port>', 'HTTP port (also PORT; default 8080)', port)
      .option('-H, --host <host>', 'address to bind (also HOST; default 127.0.0.1)'),
  ).action((opts: { config?: string; dataDir?: string; port?: number; host?: string }) => runRoles(roles, opts));
}

program
  .command('replay')
  .description('Push recorded events through the collector of a running Sessionwise, as fast as possible or at N times real time.')
  .argument('<file>', 'events: JSONL (one event per line) or a RetailRocket events TSV (e.g. ../shared/datasets/retailrocket/events_week.tsv)')
  .option('-u, --url <url>', 'base URL of the collector', 'http://127.0.0.1:8080')
  .addOption(new Option('-f, --format <format>', 'input format (default: from the file name or header)').choices(['jsonl', 'retailrocket']))
  .option('-s, --speed <n>', 'pace at N times real time (default: as fast as possible)', positiveNumber)
  .option('-b, --batch <n>', 'events per request (at most 500)', (v) => Math.min(500, positiveInteger(v)), 50)
  .action(async (file: string, opts: { url: string; format?: ReplayFormat; speed?: number; batch: number }) => {
    const format = opts.format ?? detectFormat(file);
    const total = await countEvents(file, format);
    const bar = progressBar('replay', total, 'events');
    try {
      console.log(JSON.stringify(await replay({ url: opts.url, file, format, batchSize: opts.batch, speed: opts.speed, onProgress: bar.update })));
    } finally {
      bar.stop();
    }
  });

configOptions(
  program
    .command('export')
    .description('Write the accepted events of the event log as JSONL (one event a line, ts the event time the collector settled on), for `train --events`. Safe beside a running server.')
    .option('-o, --out <file>', 'file to write (default: standard output)'),
).action(async (opts: { config?: string; dataDir?: string; out?: string }) => {
  const config = configFrom(opts);
  if (config.eventLog === 'embedded' && !existsSync(join(config.dataDir, 'log'))) throw new InvalidArgumentError(`no event log in ${config.dataDir} (--data-dir names the folder a server runs on)`);
  const out = opts.out ? createWriteStream(opts.out) : process.stdout;
  // A file that cannot be written fails here, with its reason, before the log is opened.
  if (opts.out) await once(out, 'open');
  const log = await openLog(config, 'cli');
  const write = (line: string) => new Promise<void>((resolve, reject) => (out.write(line) ? resolve() : out.once('drain', resolve).once('error', reject)));
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const events = await exportEvents(log, write, (done, total) => (bar ??= progressBar('export', total, 'events')).update(done));
    bar?.stop();
    if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
    console.error(`${events} events exported`);
  } finally {
    await log.close();
  }
});

const invalid = program.command('invalid').description('Inspect and replay rejected events (kept with their payload and reason).');
configOptions(invalid.command('tail').description('Print the newest rejected events, one JSON object per line.').option('-n, --lines <n>', 'how many', positiveInteger, 20)).action(
  async (opts: { config?: string; dataDir?: string; lines: number }) => {
    const config = configFrom(opts);
    // Reading is safe beside a running server: LMDB allows readers in other processes, Kafka many consumers.
    const log = await openLog(config, 'cli');
    const collector = new Collector(log, config.sessionGapMinutes * 60_000);
    for (const row of await collector.invalidTail(opts.lines)) console.log(JSON.stringify(row));
    await log.close();
  },
);
invalid
  .command('replay')
  .description('Run kept invalid events through validation again (after a fix); those that pass are ingested. Talks to the running server.')
  .option('-u, --url <url>', 'base URL of the server', 'http://127.0.0.1:8080')
  .option('--from <offset>', 'first invalid-event offset to replay', (v) => Math.floor(Number(v)), 0)
  .option('--token <token>', 'admin token (also ADMIN_TOKEN)')
  .action(async (opts: { url: string; from: number; token?: string }) => {
    const token = opts.token ?? process.env.ADMIN_TOKEN;
    const response = await fetch(`${opts.url.replace(/\/$/, '')}/v1/admin/invalid/replay?from=${opts.from}`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`server answered ${response.status}: ${body}`);
    console.log(body);
  });

program
  .command('eval')
  .description('Offline evaluation: load training sessions through the stream, then score the top k for every test prefix (HR@k, MRR@k). The last stdout line is a JSON object.')
  .requiredOption('--train <file>', 'training sessions: one session a line, item ids separated by spaces, in time order')
  .requiredOption('--test <file>', 'test pairs: "prefix<TAB>target" a line')
  .option('-k, --k <n>', 'list length scored', positiveInteger, 20)
  .addOption(new Option('--strategy <name>', 'recommender to evaluate (default: ranked with --model, else session-knn)').choices([...STRATEGIES]))
  .option('--params <file>', 'parameter file written by `sessionwise tune` (session-knn)')
  .option('--model <file>', 'ranker model written by `sessionwise train` (ranked; the default strategy when given)')
  .option('--json', 'print only the JSON result line')
  .option('--report <file>', 'also write an HTML report with plots (hit rate by k and by session length, coverage, popularity bias)')
  .option('--exploration <share>', 'share of slots explored as the server does (EXPLORATION_SHARE); 0 scores the ranking alone', share, 0)
  .action(async (opts: { train: string; test: string; k: number; strategy?: Strategy; params?: string; model?: string; json?: boolean; report?: string; exploration: number }) => {
    const params = opts.params ? readParamsFile(opts.params).params : {};
    const model = opts.model ? readRankerFile(opts.model) : undefined;
    const strategy: Strategy = opts.strategy ?? (model ? 'ranked' : 'session-knn');
    const sessions = readSessions(opts.train);
    const pairs = readTestPairs(opts.test);
    const { store, seconds } = await train(sessions);
    // The serving wrapper too: with no impressions in the test prefixes, only exploration changes the lists.
    const recommender = new FeedbackRecommender(createRecommender(strategy, { params, model }), { explorationShare: opts.exploration });
    const bar = progressBar(`eval ${strategy}`, pairs.length, 'pairs');
    const outcomes: PairOutcome[] | undefined = opts.report ? [] : undefined;
    let result;
    try {
      result = { ...evaluate(recommender, store, pairs, opts.k, { onProgress: bar.update, outcomes }), trainSeconds: seconds };
    } finally {
      bar.stop();
    }
    if (opts.report && outcomes) writeReport(opts.report, { strategy, k: opts.k, result, outcomes, sessions, train: opts.train, test: opts.test });
    if (!opts.json) {
      console.log(`${strategy} on ${pairs.length} pairs: HR@${opts.k} ${(result.hr * 100).toFixed(2)}%, MRR@${opts.k} ${(result.mrr * 100).toFixed(2)}%`);
      console.log(`prediction p50 ${result.predictMsP50.toFixed(3)} ms, p90 ${result.predictMsP90.toFixed(3)} ms; training ${result.trainSeconds.toFixed(1)} s`);
    }
    console.log(JSON.stringify(result));
  });

program
  .command('tune')
  .description('Choose session-knn hyperparameters on a validation split carved from the END of the training sessions (never the test pairs); writes a parameter file for eval and the server.')
  .option(TRAIN_OPTION, TRAIN_HELP)
  .option(EVENTS_OPTION, EVENTS_HELP)
  .addOption(EVENTS_FORMAT())
  .requiredOption('-o, --out <file>', 'parameter file to write')
  .option('-k, --k <n>', 'list length scored', positiveInteger, 20)
  .option('--validation <fraction>', 'share of the last training sessions held out', (v) => positiveNumber(v), 0.1)
  .option('--rounds <n>', 'coordinate-descent rounds', positiveInteger, 2)
  .option('--sample <n>', 'validation pairs scored per trial (all are scored for the final figure)', positiveInteger, 20_000)
  .action(async (opts: TrainingInput & { out: string; k: number; validation: number; rounds: number; sample: number }) => {
    if (opts.validation >= 1) throw new InvalidArgumentError('--validation must be below 1');
    const { sessions, source } = await trainingSessions(opts);
    let trial = 0;
    const result = await tuneSessionKnn(sessions, {
      k: opts.k,
      fraction: opts.validation,
      rounds: opts.rounds,
      samplePairs: opts.sample,
      onTrial: ({ params, hr, mrr, best }) => {
        trial++;
        if (best) console.error(`trial ${trial}: HR ${(hr * 100).toFixed(2)} MRR ${(mrr * 100).toFixed(2)} (new best) ${JSON.stringify(params)}`);
      },
    });
    writeParamsFile(opts.out, result.params, { train: source, validationFraction: opts.validation, k: opts.k, validation: result.validation, trials: result.trials });
    console.log(JSON.stringify({ params: result.params, validation: result.validation, trials: result.trials, out: opts.out }));
  });

program
  .command('train')
  .description('Fit the learned ranker with point-in-time-correct features from logged sessions; writes the model file the server and eval load (it embeds the candidate parameters).')
  .option(TRAIN_OPTION, TRAIN_HELP)
  .option(EVENTS_OPTION, EVENTS_HELP)
  .addOption(EVENTS_FORMAT())
  .requiredOption('-o, --out <file>', 'model file to write')
  .option('--params <file>', 'candidate parameters from `sessionwise tune` (default: built-in defaults)')
  .option('--candidates <n,...>', 'candidates re-scored per request; several values: each is trained and the best on the validation split kept', positiveIntegers, [DEFAULT_TRAIN_OPTIONS.candidates])
  .option('--sample-size <n,...>', "recent sessions looked at per session item, instead of the parameters' sampleSize; several values: as --candidates (fewer serve faster)", positiveIntegers)
  .option('--window <fraction>', 'share of the last sessions that trains the ranker (the share before it validates)', (v) => positiveNumber(v), DEFAULT_TRAIN_OPTIONS.fraction)
  .option('--trees <n>', 'boosted trees', positiveInteger, DEFAULT_GBDT_OPTIONS.trees)
  .option('--depth <n>', 'tree depth', positiveInteger, DEFAULT_GBDT_OPTIONS.depth)
  .action(async (opts: TrainingInput & { out: string; params?: string; candidates: number[]; sampleSize?: number[]; window: number; trees: number; depth: number }) => {
    if (opts.window >= 0.5) throw new InvalidArgumentError('--window must be below 0.5');
    const knn = opts.params ? readParamsFile(opts.params).params : DEFAULT_KNN_PARAMS;
    const { sessions, logged } = await trainingSessions(opts);
    let bar: ReturnType<typeof progressBar> | undefined;
    let stage = '';
    const options: TrainRankerOptions = {
      ...DEFAULT_TRAIN_OPTIONS,
      knn,
      candidates: opts.candidates[0]!,
      fraction: opts.window,
      gbdt: { ...DEFAULT_GBDT_OPTIONS, trees: opts.trees, depth: opts.depth },
      onProgress: (name, done, total) => {
        if (name !== stage) {
          bar?.stop();
          stage = name;
          bar = progressBar(name, total, name.endsWith('model') ? 'trees' : name.endsWith('events') ? 'events' : 'sessions');
        }
        bar?.update(done);
      },
    };
    const sizes = { candidates: opts.candidates, sampleSizes: opts.sampleSize ?? [knn.sampleSize] };
    const searching = sizes.candidates.length * sizes.sampleSizes.length > 1;
    const started = performance.now();
    const result = await trainBestRanker((o) => (logged ? trainRankerFromEvents(logged, o) : trainRanker(sessions, o)), options, sizes, (trial) => {
      bar?.stop();
      stage = '';
      if (searching) console.error(`candidates ${trial.candidates}, sampleSize ${trial.sampleSize}: validation HR ${(trial.hr * 100).toFixed(2)} MRR ${(trial.mrr * 100).toFixed(2)}`);
    });
    writeRankerFile(opts.out, result.file);
    const chosen = searching ? { chosen: { candidates: result.file.candidates, sampleSize: result.file.knn.sampleSize }, trials: result.trials } : {};
    console.log(JSON.stringify({ out: opts.out, seconds: (performance.now() - started) / 1000, validation: result.validation, ...chosen }));
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`sessionwise: ${(error as Error).message}`);
  process.exit(1);
});
