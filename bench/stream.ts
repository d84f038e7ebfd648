/**
 * Stream processing on one core: an LMDB event log (noSync) pre-filled with realistic events,
 * then (1) the StreamProcessor consuming all of it into a MemoryFeatureStore, timed from start()
 * to caught-up: read + msgpack decode + apply, the production path; and (2) the same log read
 * directly (log.read + store.applySync) into a fresh store with reading and applying timed apart.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.ts';
import { partitionKey, type LoggedEvent } from '../src/events/logged.ts';
import { MemoryFeatureStore } from '../src/features/memory/memory-store.ts';
import { LmdbEventLog } from '../src/log/embedded/lmdb-log.ts';
import type { LogRecord } from '../src/log/event-log.ts';
import { StreamProcessor } from '../src/stream/processor.ts';
import { streamConfig } from '../src/system.ts';
import { EventGenerator, info, parseOptions, removeDir, round, tempDir, type OptionSpec, type Result } from './support.ts';

export const options = {
  events: { default: 1_000_000, help: 'events in the log' },
  partitions: { default: 8, help: 'log partitions' },
  sessions: { default: 20_000, help: 'concurrent sessions in the generated stream' },
  batch: { default: 1000, help: 'entries per read in the direct pass' },
} satisfies OptionSpec;

async function prefill(log: LmdbEventLog, events: number, sessions: number): Promise<Record<string, number>> {
  // Mean gap 2 ms of event time: 1M events span about 33 minutes, so sessions start, end and expire.
  const generator = new EventGenerator({ seed: 7, concurrentSessions: sessions, meanGapMs: 2 });
  const counts: Record<string, number> = {};
  const chunk = 10_000;
  for (let done = 0; done < events; done += chunk) {
    const records: LogRecord<LoggedEvent>[] = [];
    for (let i = 0; i < Math.min(chunk, events - done); i++) {
      const value = generator.next();
      counts[value.event.type] = (counts[value.event.type] ?? 0) + 1;
      records.push({ key: partitionKey(value.event), value });
    }
    await log.append('events', records);
    if ((done / chunk) % 20 === 0) info(`pre-filled ${done} events`);
  }
  return counts;
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  const dir = tempDir('stream');
  const log = new LmdbEventLog({ dir, partitions: o.partitions, noSync: true });
  try {
    const started = performance.now();
    const mix = await prefill(log, o.events, o.sessions);
    const logBytes = statSync(join(dir, 'log.lmdb')).blocks * 512;
    info(`pre-filled ${o.events} events in ${Math.round(performance.now() - started)} ms (${Math.round(logBytes / o.events)} bytes/event on disk)`);
    const stream = streamConfig(loadConfig({ env: {}, overrides: { partitions: o.partitions } }));

    info('pass 1: StreamProcessor from the start of the log until caught up');
    const store = new MemoryFeatureStore({ stream });
    const processor = new StreamProcessor(log, store);
    const t0 = performance.now();
    await processor.start();
    const processorMs = performance.now() - t0;
    await processor.stop();
    const stats = store.stats();
    if (stats.counters.applied + stats.counters.duplicates + stats.counters.late !== o.events) throw new Error(`processor saw ${stats.counters.applied} events, expected ${o.events}`);

    info('pass 2: log.read + store.applySync, timed apart');
    const direct = new MemoryFeatureStore({ stream });
    let readMs = 0;
    let applyMs = 0;
    for (let p = 0; p < o.partitions; p++) {
      for (let from = 0; ; ) {
        const r0 = performance.now();
        const entries = await log.read<LoggedEvent>('events', p, from, o.batch);
        const r1 = performance.now();
        readMs += r1 - r0;
        if (entries.length === 0) break;
        direct.applySync(p, entries);
        applyMs += performance.now() - r1;
        from = entries[entries.length - 1]!.offset + 1;
      }
    }
    const eventsPerSecond = Math.round(o.events / (processorMs / 1000));
    info(`${eventsPerSecond} events/s through the processor`);
    return {
      eventsPerSecond,
      processorSeconds: round(processorMs / 1000),
      direct: {
        eventsPerSecond: Math.round(o.events / ((readMs + applyMs) / 1000)),
        readDecodeEventsPerSecond: Math.round(o.events / (readMs / 1000)),
        applyEventsPerSecond: Math.round(o.events / (applyMs / 1000)),
        readShare: round(readMs / (readMs + applyMs), 3),
        readUsPerEvent: round((readMs * 1000) / o.events, 3),
        applyUsPerEvent: round((applyMs * 1000) / o.events, 3),
      },
      state: { applied: stats.counters.applied, duplicates: stats.counters.duplicates, late: stats.counters.late, sessionsStarted: stats.counters.sessionsStarted, sessionsExpired: stats.counters.sessionsExpired, liveSessions: stats.activeSessions, items: stats.items },
      eventMix: mix,
      logBytesPerEvent: Math.round(logBytes / o.events),
      config: o,
    };
  } finally {
    await log.close();
    removeDir(dir);
  }
}
