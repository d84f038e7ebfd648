/**
 * The distributed topology on loopback: a Kafka-protocol broker (librdkafka's mock cluster), a
 * Redis server, and collector, processor and server roles as separate `sessionwise` processes,
 * each with its own data folder, the way docker-compose.yml runs them on separate machines. Used
 * by the multi-process test, the distributed benchmarks and `npm run cluster`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '../../src/system.ts';
import { freePort, startKafka, startRedis, stopChild, type KafkaService, type RedisService } from './services.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RoleProcess {
  role: Role;
  name: string;
  url: string;
  child: ChildProcess;
  /** The newest lines it wrote to stderr. */
  stderr(): string;
  /** kill -9: no shutdown, no checkpoint. */
  kill(): Promise<void>;
}

export interface ClusterOptions {
  partitions: number;
  collectors: number;
  processors: number;
  servers: number;
  /** Extra environment for every role (LOG_LEVEL, CHECKPOINT_INTERVAL_SECONDS, ...). */
  env?: Record<string, string>;
}

export interface Cluster {
  kafka: KafkaService;
  redis: RedisService;
  collectors: RoleProcess[];
  processors: RoleProcess[];
  servers: RoleProcess[];
  /** Starts one more role process; waits until it is ready unless `ready` is false. */
  add(role: Role, ready?: boolean): Promise<RoleProcess>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const kafka = await startKafka({ partitions: options.partitions });
  const redis = await startRedis();
  const base = mkdtempSync(join(tmpdir(), 'sessionwise-cluster-'));
  const all: RoleProcess[] = [];
  let n = 0;
  const env = {
    ...process.env,
    EVENT_LOG: kafka.url,
    FEATURE_STORE: redis.url,
    PARTITIONS: String(options.partitions),
    KAFKA_SESSION_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
    PORT: undefined,
    DATA_DIR: undefined,
    SESSIONWISE_CONFIG: undefined,
    ...options.env,
  };

  const add = async (role: Role, ready = true): Promise<RoleProcess> => {
    const name = `${role}-${++n}`;
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', role, '--port', String(port), '--host', '127.0.0.1', '--data-dir', join(base, name)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proc: RoleProcess = {
      role,
      name,
      url: `http://127.0.0.1:${port}`,
      child,
      stderr: () => err,
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    all.push(proc);
    if (ready) await waitReady(proc, 60_000);
    return proc;
  };

  const cluster: Cluster = {
    kafka,
    redis,
    collectors: [],
    processors: [],
    servers: [],
    add,
    async stop() {
      await Promise.all(all.map((p) => stopChild(p.child)));
      await redis.stop();
      await kafka.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
  try {
    // Processors first and together, so that the group settles in one rebalance.
    cluster.processors = await Promise.all(Array.from({ length: options.processors }, () => add('processor')));
    cluster.collectors = await Promise.all(Array.from({ length: options.collectors }, () => add('collector')));
    cluster.servers = await Promise.all(Array.from({ length: options.servers }, () => add('server')));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

async function waitReady(proc: RoleProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}: ${proc.stderr()}`);
    try {
      const response = await fetch(`${proc.url}/readyz`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${proc.name} not ready within ${timeoutMs} ms: ${proc.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
