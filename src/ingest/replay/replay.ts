/**
 * Replays recorded events through the collector's HTTP path, in batches, as fast as possible or
 * paced at N times real time. Batches go one after another so that event order per key holds.
 */
import { readEvents, type ReplayFormat } from './sources.ts';

export interface ReplayOptions {
  url: string;
  file: string;
  format: ReplayFormat;
  batchSize: number;
  /** Times real time; undefined: as fast as the collector takes them. */
  speed?: number;
  onProgress?: (sent: number) => void;
}

export interface ReplaySummary {
  sent: number;
  accepted: number;
  rejected: number;
  seconds: number;
  eventsPerSecond: number;
  firstRejections: Array<{ index: number; id?: string; reason: string }>;
}

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const summary: ReplaySummary = { sent: 0, accepted: 0, rejected: 0, seconds: 0, eventsPerSecond: 0, firstRejections: [] };
  let batch: Record<string, unknown>[] = [];
  let firstTime: number | undefined;
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await post(`${options.url.replace(/\/$/, '')}/v1/events`, batch);
    summary.sent += batch.length;
    summary.accepted += result.accepted;
    summary.rejected += result.rejected.length;
    for (const r of result.rejected) if (summary.firstRejections.length < 10) summary.firstRejections.push(r);
    batch = [];
    options.onProgress?.(summary.sent);
  };
  for await (const { event, time } of readEvents(options.file, options.format)) {
    if (options.speed !== undefined && Number.isFinite(time)) {
      firstTime ??= time;
      const due = started + (time - firstTime) / options.speed;
      if (due > Date.now()) {
        await flush();
        await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    }
    batch.push(event);
    if (batch.length >= options.batchSize) await flush();
  }
  await flush();
  summary.seconds = (Date.now() - started) / 1000;
  summary.eventsPerSecond = Math.round(summary.sent / Math.max(summary.seconds, 1e-3));
  return summary;
}

async function post(url: string, events: unknown[]): Promise<{ accepted: number; rejected: Array<{ index: number; id?: string; reason: string }> }> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    } catch (error) {
      // Network failure: retrying is safe, event ids make it idempotent.
      if (attempt >= 5) throw new Error(`cannot reach the collector at ${url}: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      continue;
    }
    const body = (await response.json()) as { accepted: number; rejected: Array<{ index: number; id?: string; reason: string }>; error?: string };
    if (response.status >= 500 && attempt < 5) continue;
    if (!response.ok) throw new Error(`collector answered ${response.status}: ${body.error ?? JSON.stringify(body)}`);
    return body;
  }
}
