#!/usr/bin/env node
/** The sessionwise command line: thin wrappers over the stages. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.ts';
import { Collector } from '../ingest/collector.ts';
import { replay } from '../ingest/replay/replay.ts';
import { countEvents, detectFormat, type ReplayFormat } from '../ingest/replay/sources.ts';
import { LmdbEventLog } from '../log/embedded/lmdb-log.ts';
import { createHttpServer } from '../serve/http.ts';
import { openEmbeddedSystem } from '../system.ts';

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

configOptions(
  program
    .command('start')
    .description('Run every role in one process: collector, event log, stream processor, feature store, recommender and HTTP API.')
    .option('-p, --port <port>', 'HTTP port (also PORT; default 8080)', port)
    .option('-H, --host <host>', 'address to bind (also HOST; default 127.0.0.1)'),
).action(async (opts: { config?: string; dataDir?: string; port?: number; host?: string }) => {
  const config = configFrom(opts);
  const system = openEmbeddedSystem(config);
  const app = await createHttpServer(system);
  // The API answers health checks during recovery; /readyz turns ready once the log tail is applied.
  await app.listen({ port: config.port, host: config.host });
  const started = Date.now();
  await system.processor.start();
  app.log.info({ recoveredInMs: Date.now() - started, positions: system.processor.positions }, 'recovery finished, ready');
  const shutdown = async (signal: string) => {
    app.log.info(`${signal}: shutting down (checkpointing state)`);
    await app.close();
    await system.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
});

program
  .command('replay')
  .description('Push recorded events through the collector of a running Sessionwise, as fast as possible or at N times real time.')
  .argument('<file>', 'events: JSONL (one event per line) or a RetailRocket events TSV (e.g. ../shared/datasets/retailrocket/events_week.tsv)')
  .option('-u, --url <url>', 'base URL of the collector', 'http://127.0.0.1:8080')
  .addOption(new Option('-f, --format <format>', 'input format (default: from the file name or header)').choices(['jsonl', 'retailrocket']))
  .option('-s, --speed <n>', 'pace at N times real time (default: as fast as possible)', positiveNumber)
  .option('-b, --batch <n>', 'events per request (at most 500)', (v) => Math.min(500, Math.floor(positiveNumber(v))), 50)
  .action(async (file: string, opts: { url: string; format?: ReplayFormat; speed?: number; batch: number }) => {
    const format = opts.format ?? detectFormat(file);
    const total = await countEvents(file, format);
    const bar = process.stderr.isTTY ? new SingleBar({ format: 'replay [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic) : undefined;
    bar?.start(total, 0);
    try {
      const summary = await replay({ url: opts.url, file, format, batchSize: opts.batch, speed: opts.speed, onProgress: (sent) => bar?.update(sent) });
      bar?.stop();
      console.log(JSON.stringify(summary));
    } catch (error) {
      bar?.stop();
      throw error;
    }
  });

const invalid = program.command('invalid').description('Inspect and replay rejected events (kept with their payload and reason).');
configOptions(invalid.command('tail').description('Print the newest rejected events, one JSON object per line.').option('-n, --lines <n>', 'how many', (v) => Math.floor(positiveNumber(v)), 20)).action(
  async (opts: { config?: string; dataDir?: string; lines: number }) => {
    const config = configFrom(opts);
    // Reading is safe beside a running server: LMDB allows readers in other processes.
    const log = new LmdbEventLog({ dir: join(config.dataDir, 'log'), partitions: config.partitions });
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

program.parseAsync().catch((error: unknown) => {
  console.error(`sessionwise: ${(error as Error).message}`);
  process.exit(1);
});
