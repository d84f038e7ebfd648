/**
 * Test services for the distributed adapters: a Kafka-protocol broker (librdkafka's mock cluster,
 * built from mock-kafka.c against Debian's librdkafka-dev) and a Redis server (Debian's
 * redis-server), each on loopback ports, each stopped by the test that started it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { TOPICS } from '../../src/log/event-log.ts';
import { loadKafkaClient } from '../../src/log/kafka/client.ts';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MOCK_SOURCE = join(ROOT, 'test', 'support', 'mock-kafka.c');
/** Build output, gitignored. */
const BUILD_DIR = join(ROOT, '.test-build');
const MOCK_BINARY = join(BUILD_DIR, 'mock-kafka');


/** Why the distributed tests cannot run here, or undefined when they can. */
export async function distributedUnavailable(): Promise<string | undefined> {
  try {
    await loadKafkaClient();
  } catch {
    return 'the optional Kafka client @confluentinc/kafka-javascript is not installed (README: "Kafka and Redis")';
  }
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h')) return "librdkafka-dev is not installed (apt-get install librdkafka-dev)";
  if (!commandExists('redis-server')) return 'redis-server is not installed (apt-get install redis-server)';
  return undefined;
}

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Compiles the mock broker once (again when its source is newer than the binary). */
export function mockKafkaBinary(): string {
  if (!existsSync(MOCK_BINARY) || statSync(MOCK_BINARY).mtimeMs < statSync(MOCK_SOURCE).mtimeMs) {
    mkdirSync(BUILD_DIR, { recursive: true });
    const tmp = `${MOCK_BINARY}.${process.pid}`;
    execFileSync('cc', ['-O2', '-Wall', '-o', tmp, MOCK_SOURCE, '-lrdkafka'], { stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('mv', [tmp, MOCK_BINARY]);
  }
  return MOCK_BINARY;
}

export interface KafkaService {
  pid: number;
  /** The bootstrap list, host:port,... */
  brokers: string;
  url: string;
  /** Takes every broker down (connections refused, log kept) until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKafka(options: { brokers?: number; partitions: number }): Promise<KafkaService> {
  const child = spawn(mockKafkaBinary(), [String(options.brokers ?? 3), String(options.partitions), ...TOPICS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`mock Kafka exited with ${code}`)));
    });
  const brokers = await nextLine();
  const signal = async (name: 'SIGUSR1' | 'SIGUSR2', expect: string) => {
    const line = nextLine();
    child.kill(name);
    const got = await line;
    if (got !== expect) throw new Error(`mock Kafka answered ${got} to ${name}`);
  };
  return {
    pid: child.pid!,
    brokers,
    url: `kafka://${brokers}`,
    down: () => signal('SIGUSR1', 'down'),
    up: () => signal('SIGUSR2', 'up'),
    stop: () => stopChild(child),
  };
}

export interface RedisService {
  pid: number;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisService> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sessionwise-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return {
    pid: child.pid!,
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of `masters` nodes on loopback (no replicas), for the cluster-mode adapter. */
export async function startRedisCluster(masters = 3): Promise<RedisService> {
  const nodes: ChildProcess[] = [];
  const dirs: string[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopChild));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'sessionwise-redis-cluster-'));
      ports.push(port);
      dirs.push(dir);
      nodes.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'inherit'] }));
    }
    for (const port of ports) await waitForPort(port);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { stdio: 'ignore' });
    // The nodes agree on the slot map a moment after create returns.
    for (const port of ports) {
      const deadline = Date.now() + 10_000;
      while (!execFileSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`redis cluster node ${port} not ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: nodes[0]!.pid!, port: ports[0]!, url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, stop };
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no TCP address'));
      server.close(() => resolve(address.port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
