/**
 * Recorded-event sources for `sessionwise replay`: the project's JSONL format (one event per
 * line, as POST /v1/events takes them) and RetailRocket's events TSV through an adapter.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type ReplayFormat = 'jsonl' | 'retailrocket';

export interface RecordedEvent {
  /** The event to post (an unparsed JSONL line stays a string and is sent as it is). */
  event: Record<string, unknown>;
  /** Event time in epoch ms, for pacing at N times real time. */
  time: number;
}

export function detectFormat(path: string): ReplayFormat {
  if (/\.jsonl?$/i.test(path) || /\.ndjson$/i.test(path)) return 'jsonl';
  const head = readFileSync(path, { encoding: 'utf8', flag: 'r' }).slice(0, 200);
  if (head.startsWith('Time\tUserId\tType\tItemId\tSessionId\tCatId')) return 'retailrocket';
  throw new Error(`${path}: cannot tell the format; pass --format jsonl or --format retailrocket`);
}

/** Counts the events a source will yield, for the progress bar. */
export async function countEvents(path: string, format: ReplayFormat): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) if (line.trim() !== '') n++;
  return format === 'retailrocket' ? n - 1 : n;
}

export async function* readEvents(path: string, format: ReplayFormat): AsyncGenerator<RecordedEvent> {
  if (format === 'jsonl') yield* readJsonl(path);
  else yield* readRetailRocket(path);
}

async function* readJsonl(path: string): AsyncGenerator<RecordedEvent> {
  let lineNo = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lineNo++;
    if (line.trim() === '') continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${path}:${lineNo}: not JSON: ${(error as Error).message}`);
    }
    yield { event, time: typeof event.ts === 'number' ? event.ts : Number.NaN };
  }
}

const RR_TYPES: Record<string, string> = { view: 'product_view', addtocart: 'add_to_cart', transaction: 'purchase' };

/**
 * RetailRocket rows: Time (unix seconds), UserId (a visitor: the device), Type, ItemId,
 * SessionId, CatId. The file is grouped by session, so rows are sorted by time first (the whole
 * file is read into memory). Event ids derive from the row, so a repeated replay is deduplicated.
 */
async function* readRetailRocket(path: string): AsyncGenerator<RecordedEvent> {
  const rows = readFileSync(path, 'utf8').split('\n');
  const header = rows.shift();
  if (header?.trim() !== 'Time\tUserId\tType\tItemId\tSessionId\tCatId') throw new Error(`${path}: not a RetailRocket events TSV (header ${header?.slice(0, 80)})`);
  const events: RecordedEvent[] = [];
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    const [time, user, type, item, session, category] = row.split('\t');
    const mapped = RR_TYPES[type ?? ''];
    if (!mapped || !time || !user || !item || !session) throw new Error(`${path}:${i + 2}: malformed row "${row.slice(0, 80)}"`);
    const ts = Number(time) * 1000;
    const base = { id: `rr-${session}-${i}`, ts, anonymousId: `rr-visitor-${user}`, sessionId: `rr-session-${session}` };
    const event =
      mapped === 'purchase'
        ? { ...base, type: mapped, items: [{ itemId: item }] }
        : { ...base, type: mapped, itemId: item, ...(category ? { category } : {}) };
    events.push({ event, time: ts });
  });
  events.sort((a, b) => a.time - b.time);
  yield* events;
}
