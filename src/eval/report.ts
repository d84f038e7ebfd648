/**
 * The evaluation report: one self-contained HTML file with inline SVG plots of hit rate by k,
 * hit rate and MRR by session length, catalogue coverage, and popularity bias of what is
 * recommended compared with what shoppers actually clicked next.
 */
import { writeFileSync } from 'node:fs';
import type { EvalResult, PairOutcome } from './evaluate.ts';

export interface ReportInput {
  strategy: string;
  k: number;
  result: EvalResult;
  outcomes: readonly PairOutcome[];
  sessions: readonly string[][];
  train: string;
  test: string;
}

interface Series {
  label: string;
  values: number[];
  color: string;
}

export function writeReport(path: string, input: ReportInput): void {
  writeFileSync(path, renderReport(input));
}

export function renderReport({ strategy, k, result, outcomes, sessions, train, test }: ReportInput): string {
  const n = Math.max(1, outcomes.length);
  const hitAt = Array.from({ length: k }, (_, i) => outcomes.filter((o) => o.rank > 0 && o.rank <= i + 1).length / n);

  const lengths = Array.from({ length: 10 }, (_, i) => i + 1);
  const byLength = lengths.map((len) => outcomes.filter((o) => (len === 10 ? o.prefixLength >= 10 : o.prefixLength === len)));
  const hrByLength = byLength.map((g) => g.filter((o) => o.rank > 0).length / Math.max(1, g.length));
  const mrrByLength = byLength.map((g) => g.reduce((s, o) => s + (o.rank > 0 ? 1 / o.rank : 0), 0) / Math.max(1, g.length));

  // Popularity: how often each item was clicked in training; deciles over the catalogue by clicks.
  const clicks = new Map<string, number>();
  for (const s of sessions) for (const item of s) clicks.set(item, (clicks.get(item) ?? 0) + 1);
  const ranked = [...clicks].sort((a, b) => b[1] - a[1]).map(([item]) => item);
  const decileOf = new Map(ranked.map((item, i) => [item, Math.min(9, Math.floor((10 * i) / ranked.length))]));
  const recommendedDeciles = new Array<number>(10).fill(0);
  const distinct = new Set<string>();
  let slots = 0;
  for (const o of outcomes) {
    for (const item of o.recommended) {
      distinct.add(item);
      recommendedDeciles[decileOf.get(item) ?? 9]!++;
      slots++;
    }
  }
  const coverage = distinct.size / Math.max(1, clicks.size);
  const shares = recommendedDeciles.map((c) => c / Math.max(1, slots));

  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sessionwise evaluation: ${esc(strategy)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}
figure{margin:2rem 0}figcaption{font-weight:600;margin-bottom:.5rem}svg text{font:12px system-ui,sans-serif;fill:#444}</style></head>
<body>
<h1>Sessionwise evaluation: ${esc(strategy)}</h1>
<p>Training sessions <code>${esc(train)}</code>, test pairs <code>${esc(test)}</code>, ${outcomes.length} pairs, k = ${k}.</p>
<table>
<tr><th>measure</th><th>value</th></tr>
<tr><td>HR@${k}</td><td>${pct(result.hr)}</td></tr>
<tr><td>MRR@${k}</td><td>${pct(result.mrr)}</td></tr>
<tr><td>prediction time p50 / p90</td><td>${result.predictMsP50.toFixed(3)} / ${result.predictMsP90.toFixed(3)} ms</td></tr>
<tr><td>training (loading through the stream)</td><td>${result.trainSeconds.toFixed(1)} s</td></tr>
<tr><td>catalogue coverage (items ever recommended / items in training)</td><td>${pct(coverage)}</td></tr>
</table>
<figure><figcaption>Hit rate by k</figcaption>${lineChart(Array.from({ length: k }, (_, i) => String(i + 1)), [{ label: 'HR@k', values: hitAt, color: '#2b6cb0' }])}</figure>
<figure><figcaption>Hit rate and MRR by session length (clicks in the prefix; 10 = 10 or more)</figcaption>${barChart(lengths.map((l) => (l === 10 ? '10+' : String(l))), [
    { label: `HR@${k}`, values: hrByLength, color: '#2b6cb0' },
    { label: `MRR@${k}`, values: mrrByLength, color: '#dd6b20' },
  ])}<p>Pairs per length: ${byLength.map((g, i) => `${i === 9 ? '10+' : i + 1}: ${g.length}`).join(', ')}.</p></figure>
<figure><figcaption>Popularity bias: share of recommended slots by popularity decile of the item (1 = the 10% most clicked items in training)</figcaption>${barChart(
    lengths.map(String),
    [
      { label: 'recommended', values: shares, color: '#2b6cb0' },
      { label: 'uniform', values: new Array<number>(10).fill(0.1), color: '#a0aec0' },
    ],
  )}</figure>
</body></html>
`;
}

const W = 720;
const H = 260;
const PAD = 40;

function scaleY(values: number[]): { max: number; y: (v: number) => number } {
  const max = Math.max(1e-9, ...values) * 1.1;
  return { max, y: (v) => H - PAD - (v / max) * (H - 2 * PAD) };
}

function axes(labels: string[], max: number, x: (i: number) => number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = H - PAD - f * (H - 2 * PAD);
    return `<line x1="${PAD}" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#eee"/><text x="4" y="${y + 4}">${(f * max * 100).toFixed(1)}%</text>`;
  });
  const xs = labels.map((l, i) => `<text x="${x(i)}" y="${H - PAD + 16}" text-anchor="middle">${esc(l)}</text>`);
  return ticks.join('') + xs.join('');
}

function legend(series: Series[]): string {
  return series.map((s, i) => `<rect x="${PAD + i * 140}" y="6" width="12" height="12" fill="${s.color}"/><text x="${PAD + 18 + i * 140}" y="16">${esc(s.label)}</text>`).join('');
}

function lineChart(labels: string[], series: Series[]): string {
  const { max, y } = scaleY(series.flatMap((s) => s.values));
  const x = (i: number) => PAD + ((W - PAD - 20) * i) / Math.max(1, labels.length - 1);
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}"/>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${axes(labels, max, x)}${lines.join('')}${legend(series)}</svg>`;
}

function barChart(labels: string[], series: Series[]): string {
  const { max, y } = scaleY(series.flatMap((s) => s.values));
  const group = (W - PAD - 20) / labels.length;
  const bar = (group * 0.8) / series.length;
  const x = (i: number) => PAD + group * i + group / 2;
  const bars = series.flatMap((s, j) =>
    s.values.map((v, i) => `<rect x="${PAD + group * i + group * 0.1 + j * bar}" y="${y(v)}" width="${bar - 1}" height="${H - PAD - y(v)}" fill="${s.color}"><title>${esc(s.label)}: ${(v * 100).toFixed(2)}%</title></rect>`),
  );
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${axes(labels, max, x)}${bars.join('')}${legend(series)}</svg>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
