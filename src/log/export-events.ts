/**
 * The log's accepted events as JSONL, one event a line as POST /v1/events takes them, for
 * `sessionwise train --events` (or a replay into another deployment). Each line carries the event
 * time the collector settled on: `ts` is the client's clock corrected for its skew, and `sentAt`,
 * which the correction came from, is left out, so a replay does not correct it twice.
 */
import type { LoggedEvent } from '../events/logged.ts';
import type { EventLog } from './event-log.ts';

const PAGE = 1000;

/** Writes every accepted event, partition by partition (train sorts them by time); returns how many. */
export async function exportEvents(log: EventLog, write: (line: string) => Promise<void>, onProgress?: (done: number, total: number) => void): Promise<number> {
  const ends = await log.endOffsets('events');
  const total = ends.reduce((sum, end) => sum + end, 0);
  let done = 0;
  for (let partition = 0; partition < log.partitions; partition++) {
    for (let from = 0; from < ends[partition]!; ) {
      const page = await log.read<LoggedEvent>('events', partition, from, Math.min(PAGE, ends[partition]! - from));
      if (page.length === 0) break;
      for (const { value } of page) {
        const { sentAt: _corrected, ...event } = value.event;
        await write(`${JSON.stringify({ ...event, ts: value.time })}\n`);
      }
      from = page[page.length - 1]!.offset + 1;
      done += page.length;
      onProgress?.(done, total);
    }
  }
  return done;
}
