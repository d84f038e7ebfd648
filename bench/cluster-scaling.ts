/**
 * Processor scaling: a backlog of `events` sits in the broker; then 1 processor (first run) or
 * `processors` processors (second run, a fresh cluster) drain it into Redis. The rate is taken
 * from the first applied event to the last, so process start and the group join are left out.
 * Efficiency = rate(n) / (n x rate(1)). The broker, Redis and the processors share this
 * machine's cores: on 2 cores, 2 processors is as far as it can say anything.
 */
import { startCluster } from '../test/support/cluster.ts';
import { cpuMeter, sendAll, stream, waitApplied } from './cluster.ts';
import { info, parseOptions, round, type OptionSpec, type Result } from './support.ts';

export const options = {
  events: { default: 100_000, help: 'backlog drained by the processors' },
  processors: { default: 2, help: 'processors of the second run' },
  partitions: { default: 8, help: 'topic partitions' },
} satisfies OptionSpec;

async function drain(events: Array<Record<string, unknown>>, processors: number, partitions: number): Promise<{ eventsPerSecond: number; cpuSeconds: Record<string, number> }> {
  const cluster = await startCluster({ partitions, collectors: 1, processors: 0, servers: 1 });
  try {
    await sendAll(cluster, events, 50, 4);
    // Not waiting for readiness: a processor is ready only once the backlog is applied.
    const started = await Promise.all(Array.from({ length: processors }, () => cluster.add('processor', false)));
    const meter = cpuMeter({ redis: cluster.redis.pid, broker: cluster.kafka.pid, ...Object.fromEntries(started.map((p) => [p.name, p.child.pid!])) });
    const { firstAt, firstCount, doneAt } = await waitApplied(cluster, events.length, 600_000);
    const eventsPerSecond = Math.round((events.length - firstCount) / ((doneAt - firstAt) / 1000));
    info(`${processors} processor(s): ${eventsPerSecond} events/s`);
    return { eventsPerSecond, cpuSeconds: meter() };
  } finally {
    await cluster.stop();
  }
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const events = stream(o.events, 13);
  const one = await drain(events, 1, o.partitions);
  const many = await drain(events, o.processors, o.partitions);
  return {
    oneProcessor: one,
    [`${o.processors}Processors`]: many,
    speedup: round(many.eventsPerSecond / one.eventsPerSecond, 2),
    efficiency: round(many.eventsPerSecond / (o.processors * one.eventsPerSecond), 2),
    config: o,
  };
}
