/**
 * The offline commands on files of the dataset format made here (not the shipped data sets):
 * tune writes parameters, train writes a ranker model, eval prints its JSON result as the last
 * stdout line and writes the report; on sessions that follow learnable paths the engine must
 * find the next click far more often than chance.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mulberry32 } from '../src/prng.ts';
import { tempDir } from './support/harness.ts';

const dir = tempDir('sessionwise-eval-');
const train = join(dir, 'train_sessions.txt');
const test = join(dir, 'test_pairs.tsv');

/** Sessions walk one of a few fixed item paths, starting anywhere and with some noise clicks. */
function makeSessions(n: number, random: () => number): string[][] {
  const paths = Array.from({ length: 40 }, (_, p) => Array.from({ length: 8 }, (_, i) => String(1 + p * 8 + i)));
  return Array.from({ length: n }, () => {
    const path = paths[Math.floor(random() * paths.length)]!;
    const start = Math.floor(random() * 4);
    const length = 2 + Math.floor(random() * 5);
    return Array.from({ length }, (_, i) => (random() < 0.1 ? String(1 + Math.floor(random() * 320)) : path[Math.min(path.length - 1, start + i)]!));
  });
}

function cli(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

describe('eval, tune and train on files of the dataset format', () => {
  before(() => {
    const random = mulberry32(11);
    writeFileSync(train, makeSessions(3000, random).map((s) => s.join(' ')).join('\n') + '\n');
    const pairs = makeSessions(300, random).flatMap((s) => s.slice(1).map((target, i) => `${s.slice(0, i + 1).join(' ')}\t${target}`));
    writeFileSync(test, pairs.join('\n') + '\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('eval prints the result as the last stdout line, well above chance, and writes a report', () => {
    const report = join(dir, 'report.html');
    const r = cli('eval', '--train', train, '--test', test, '--k', '20', '--json', '--report', report);
    assert.equal(r.status, 0, r.stderr);
    const result = lastJson(r.stdout);
    for (const key of ['hr', 'mrr', 'pairs', 'predictMsP50', 'predictMsP90', 'trainSeconds']) assert.equal(typeof result[key], 'number', key);
    assert.ok((result.hr as number) > 0.5, `HR@20 ${result.hr} on learnable paths (chance is about 20/320)`);
    assert.ok((result.mrr as number) > 0.2, `MRR@20 ${result.mrr}`);
    assert.match(readFileSync(report, 'utf8'), /Hit rate by k/);
  });

  it('the historical baseline ignores the session and scores far lower', () => {
    const r = cli('eval', '--train', train, '--test', test, '--strategy', 'historical', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.ok((lastJson(r.stdout).hr as number) < 0.3);
  });

  it('tune writes parameters and train writes a model that eval serves', () => {
    const params = join(dir, 'params.json');
    const model = join(dir, 'model.json');
    const tuned = cli('tune', '--train', train, '--out', params, '--rounds', '1', '--sample', '500');
    assert.equal(tuned.status, 0, tuned.stderr);
    assert.ok(existsSync(params));
    const trained = cli('train', '--train', train, '--params', params, '--out', model, '--trees', '20', '--depth', '3', '--sample-size', '50');
    assert.equal(trained.status, 0, trained.stderr);
    const file = JSON.parse(readFileSync(model, 'utf8')) as { knn: { sampleSize: number; neighbours: number } };
    const tunedParams = (JSON.parse(readFileSync(params, 'utf8')) as { params: { neighbours: number } }).params;
    assert.equal(file.knn.sampleSize, 50, 'the model serves the sample size train was given');
    assert.equal(file.knn.neighbours, tunedParams.neighbours, 'and the rest of the tuned parameters');
    const validation = lastJson(trained.stdout).validation as { ranked: { hr: number } };
    assert.ok(validation.ranked.hr > 0.5, `ranker validation HR ${validation.ranked.hr}`);
    const evaluated = cli('eval', '--train', train, '--test', test, '--model', model, '--json');
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.ok((lastJson(evaluated.stdout).hr as number) > 0.5);
  });

  it('train and tune learn from logged events too, saying what they left out', () => {
    // The training sessions as the tracker would have logged them: one product view a click, a minute apart.
    const events = join(dir, 'events.jsonl');
    const lines = readFileSync(train, 'utf8').trim().split('\n').flatMap((line, s) =>
      line.split(' ').map((itemId, i) => JSON.stringify({ type: 'product_view', id: `e${s}-${i}`, ts: Date.UTC(2026, 0, 1) + (s * 10 + i) * 60_000, anonymousId: `d${s}`, sessionId: `s${s}`, itemId, context: { device: s % 2 ? 'mobile' : 'desktop' } })),
    );
    writeFileSync(events, [...lines, '{"type": "product_view", "id": "x", "ts": 0, "anonymousId": "d", "itemId": "1"}'].join('\n') + '\n');
    const model = join(dir, 'events-model.json');
    const trained = cli('train', '--events', events, '--out', model, '--trees', '20', '--depth', '3');
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stderr, /1 invalid events left out/);
    assert.ok((lastJson(trained.stdout).validation as { ranked: { hr: number } }).ranked.hr > 0.5);
    assert.deepEqual((JSON.parse(readFileSync(model, 'utf8')) as { model: { featureNames: string[] } }).model.featureNames.slice(-2), ['hourOfDay', 'device']);
    const tuned = cli('tune', '--events', events, '--out', join(dir, 'events-params.json'), '--rounds', '1', '--sample', '300');
    assert.equal(tuned.status, 0, tuned.stderr);
    const both = cli('train', '--train', train, '--events', events, '--out', model);
    assert.notEqual(both.status, 0);
    assert.match(both.stderr, /one of --train <sessions file> or --events <events file>/);
  });

  it('train with several candidate counts and sample sizes trains each and keeps the best on validation', () => {
    const model = join(dir, 'searched-model.json');
    const r = cli('train', '--train', train, '--out', model, '--trees', '10', '--depth', '3', '--candidates', '3,20', '--sample-size', '20,200');
    assert.equal(r.status, 0, r.stderr);
    const out = lastJson(r.stdout) as { chosen: { candidates: number; sampleSize: number }; trials: Array<{ candidates: number; sampleSize: number; hr: number; mrr: number }>; validation: { ranked: { hr: number; mrr: number } } };
    assert.deepEqual(out.trials.map((t) => [t.candidates, t.sampleSize]), [[3, 20], [3, 200], [20, 20], [20, 200]]);
    assert.equal(r.stderr.match(/validation HR/g)?.length, 4, 'one line a combination');
    const best = Math.max(...out.trials.map((t) => t.hr + t.mrr));
    const chosen = out.trials.find((t) => t.candidates === out.chosen.candidates && t.sampleSize === out.chosen.sampleSize)!;
    assert.equal(chosen.hr + chosen.mrr, best);
    assert.equal(out.validation.ranked.hr, chosen.hr);
    // Three candidates cannot put the next click in a top 20 as often as twenty can.
    assert.equal(out.chosen.candidates, 20);
    const file = JSON.parse(readFileSync(model, 'utf8')) as { candidates: number; knn: { sampleSize: number }; training: { search: unknown[] } };
    assert.deepEqual([file.candidates, file.knn.sampleSize], [out.chosen.candidates, out.chosen.sampleSize]);
    assert.equal(file.training.search.length, 4);
  });

  it('train refuses a count that is not a positive whole number, naming the option', () => {
    for (const [option, value] of [['--sample-size', '0.5'], ['--candidates', '30,0'], ['--trees', 'ten']]) {
      const r = cli('train', '--train', train, '--out', join(dir, 'unused.json'), option!, value!);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`${option}.*must be a positive whole number`));
    }
  });

  it('rejects a malformed test file with the line named', () => {
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, '1 2\t3\nno-tab-here\n');
    const r = cli('eval', '--train', train, '--test', bad, '--json');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /line 2/);
  });
});
