/**
 * Processor scaling: a backlog of `events` sits in the broker; then 1 processor (first run) or
 * `processors` processors (second run, a fresh cluster) drain it into Redis. The rate is taken
 * from the first applied event to the last, so process start and the group join are left out.
 * Efficiency = rate(n) / (n x rate(1)). The broker, Redis and the processors share this
 * machine's cores: on 2 cores, 2 processors is as far as it can say anything, so the CPU each
 * processor spends per event is reported too (measured from the first applied event): where it
 * stays flat, throughput grows with the cores given to processors and Redis.
 */
import { startCluster } from '../test/support/cluster.ts';
import { cpuMeter, sendAll, stream, waitApplied } from './cluster.ts';
import { info, parseOptions, round, type OptionSpec, type Result } from './support.ts';

export const options = {
  events: { default: 100_000, help: 'backlog drained by the processors' },
  processors: { default: 2, help: 'processors of the second run' },
  partitions: { default: 8, help: 'topic partitions' },
} satisfies OptionSpec;

async function drain(events: Array<Record<string, unknown>>, processors: number, partitions: number): Promise<Result> {
  const cluster = await startCluster({ partitions, collectors: 1, processors: 0, servers: 1 });
  try {
    await sendAll(cluster, events, 50, 4);
    // Not waiting for readiness: a processor is ready only once the backlog is applied.
    const started = await Promise.all(Array.from({ length: processors }, () => cluster.add('processor', false)));
    // Measured from the first applied event: process start and the group join are left out.
    const first = await waitApplied(cluster, 1, 120_000);
    const meter = cpuMeter({ redis: cluster.redis.pid, broker: cluster.kafka.pid, ...Object.fromEntries(started.map((p) => [p.name, p.child.pid!])) });
    const { doneAt } = await waitApplied(cluster, events.length, 600_000);
    const applied = events.length - first.firstCount;
    const eventsPerSecond = Math.round(applied / ((doneAt - first.doneAt) / 1000));
    const cpuSeconds = meter();
    const processorCpu = started.reduce((sum, p) => sum + cpuSeconds[p.name]!, 0);
    info(`${processors} processor(s): ${eventsPerSecond} events/s`);
    return { eventsPerSecond, processorCpuMicrosecondsPerEvent: round((processorCpu / applied) * 1e6, 1), redisCpuMicrosecondsPerEvent: round((cpuSeconds.redis! / applied) * 1e6, 1), cpuSeconds };
  } finally {
    await cluster.stop();
  }
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const events = stream(o.events, 13);
  const one = await drain(events, 1, o.partitions);
  const many = await drain(events, o.processors, o.partitions);
  const rate = (r: Result) => r.eventsPerSecond as number;
  const cpu = (r: Result) => r.processorCpuMicrosecondsPerEvent as number;
  return {
    oneProcessor: one,
    [`${o.processors}Processors`]: many,
    speedup: round(rate(many) / rate(one), 2),
    efficiency: round(rate(many) / (o.processors * rate(one)), 2),
    /** Events per processor CPU second with n processors over that with one: scaling where each processor has its core. */
    cpuEfficiency: round(cpu(one) / cpu(many), 2),
    config: o,
  };
}
