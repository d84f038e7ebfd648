/**
 * `npm run cluster`: the distributed topology on this machine, without Docker. Starts a
 * Kafka-protocol broker (librdkafka's mock cluster), Redis, and the collector, processor and
 * server roles as separate processes (the topology of docker-compose.yml), replays a recorded
 * stream through the collectors, kills one processor with SIGKILL part-way, and checks that the
 * servers' per-item counts equal the acknowledged events. Prints one JSON line; exits 1 on a
 * mismatch.
 *
 *   npm run cluster -- [--file events.jsonl|events.tsv] [--limit 20000] [--collectors 2]
 *                      [--processors 3] [--servers 2] [--partitions 6] [--kill-after 0.4]
 */
import { parseArgs } from 'node:util';
import { detectFormat, readEvents } from '../src/ingest/replay/sources.ts';
import { startCluster } from '../test/support/cluster.ts';
import { mulberry32 } from '../src/prng.ts';
import { generateStream, replayWithProcessorKill } from '../test/support/scenario.ts';
import { distributedUnavailable } from '../test/support/services.ts';

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    limit: { type: 'string', default: '20000' },
    collectors: { type: 'string', default: '2' },
    processors: { type: 'string', default: '3' },
    servers: { type: 'string', default: '2' },
    partitions: { type: 'string', default: '6' },
    'kill-after': { type: 'string', default: '0.4' },
  },
});
const missing = await distributedUnavailable();
if (missing) {
  console.error(`cannot start the loopback cluster: ${missing}`);
  process.exit(2);
}
const limit = Number(values.limit);
const events: Array<Record<string, unknown>> = [];
if (values.file) {
  for await (const { event } of readEvents(values.file, detectFormat(values.file))) {
    events.push(event);
    if (events.length >= limit) break;
  }
} else events.push(...generateStream(limit, mulberry32(1)));

const log = (line: string) => console.error(`cluster: ${line}`);
log(`starting broker, Redis, ${values.collectors} collectors, ${values.processors} processors, ${values.servers} servers`);
const cluster = await startCluster({ partitions: Number(values.partitions), collectors: Number(values.collectors), processors: Number(values.processors), servers: Number(values.servers) });
try {
  const result = await replayWithProcessorKill(cluster, events, { killAfter: Number(values['kill-after']), log });
  const mismatched = [...result.expected].filter(([item, t]) => JSON.stringify(result.counted.get(item)) !== JSON.stringify(t)).map(([item]) => item);
  console.log(
    JSON.stringify({
      events: result.acknowledged,
      applied: result.applied,
      killed: result.killed,
      items: result.expected.size,
      mismatchedItems: mismatched.length,
      sendSeconds: result.sendSeconds,
      convergeSeconds: result.convergeSeconds,
      eventsPerSecond: Math.round(result.acknowledged / result.sendSeconds),
    }),
  );
  process.exitCode = mismatched.length === 0 && result.applied === result.acknowledged ? 0 : 1;
} finally {
  await cluster.stop();
}
