/**
 * From the shop's own log to a model: events posted to a running system are exported with
 * `sessionwise export` beside it, and `sessionwise train --events` learns from the export.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mulberry32 } from '../src/prng.ts';
import { makeEvent, postEvents, startSystem, tempDir, type RunningSystem } from './support/harness.ts';

function cli(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('export the log, train on it', { skip: process.env.EVENT_LOG ? 'run on the embedded log' : false }, () => {
  let running: RunningSystem;
  const out = tempDir('sessionwise-export-');
  const posted: Array<Record<string, unknown>> = [];
  after(async () => {
    await running.close();
    rmSync(out, { recursive: true, force: true });
  });
  before(async () => {
    running = await startSystem();
    // 600 shoppers walk short paths through 40 items over the last few hours, a minute a click;
    // one sends a clock 10 minutes fast (sentAt tells the collector by how much).
    const random = mulberry32(3);
    const start = Date.now() - 4 * 3600_000;
    for (let s = 0; s < 600; s++) {
      const path = Math.floor(random() * 8) * 5;
      const device = random() < 0.5 ? 'mobile' : 'desktop';
      const batch = Array.from({ length: 3 }, (_, i) => {
        const ts = start + s * 20_000 + i * 60_000;
        return makeEvent('product_view', { ts, anonymousId: `d${s}`, sessionId: `s${s}`, itemId: `item-${path + i}`, context: { device } });
      });
      if (s === 0) for (const event of batch) Object.assign(event, { ts: (event.ts as number) + 600_000, sentAt: Date.now() + 600_000 });
      posted.push(...batch);
    }
    for (let i = 0; i < posted.length; i += 500) assert.equal((await postEvents(running.url, posted.slice(i, i + 500))).body.accepted, Math.min(500, posted.length - i));
  });

  it('exports every accepted event once, with the corrected time, while the server runs', () => {
    const file = join(out, 'events.jsonl');
    const r = cli('export', '--data-dir', running.dataDir, '--out', file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${posted.length} events exported`));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((e) => e.id).sort(), posted.map((e) => e.id).sort());
    const skewed = lines.find((e) => e.id === posted[0]!.id)!;
    assert.equal(skewed.sentAt, undefined, 'the correction is applied once, not carried');
    assert.ok(Math.abs((skewed.ts as number) - (posted[0]!.ts as number) + 600_000) < 5_000, 'ts is the corrected event time');
    assert.deepEqual(skewed.context, { device: posted[0]!.context && (posted[0]!.context as { device: string }).device });

    const model = join(out, 'model.json');
    const trained = cli('train', '--events', file, '--out', model, '--trees', '10', '--depth', '3');
    assert.equal(trained.status, 0, trained.stderr);
    assert.ok((JSON.parse(trained.stdout.trim().split('\n').at(-1)!) as { validation: { ranked: { hr: number } } }).validation.ranked.hr > 0.5);
    assert.equal((JSON.parse(readFileSync(model, 'utf8')) as { training: { events: number } }).training.events, posted.length);
  });

  it('names a data dir without a log instead of exporting nothing', () => {
    const r = cli('export', '--data-dir', join(out, 'not-a-data-dir'), '--out', join(out, 'none.jsonl'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no event log in .*not-a-data-dir/);
    assert.ok(!existsSync(join(out, 'none.jsonl')), 'no file written');
  });
});
