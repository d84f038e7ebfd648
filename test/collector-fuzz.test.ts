/**
 * Fuzz test of the collector over real HTTP: thousands of malformed bodies and events (wrong
 * types, missing fields, huge strings, deep nesting, invalid UTF-8, NaN and Infinity, far-future
 * and ancient timestamps, duplicate ids, unknown types, non-objects, extra properties, lone
 * surrogates) mixed with valid neighbours. The server must never crash, every bad event and every
 * rejected body must be kept with its reason, and every valid neighbour must be accepted and logged.
 *
 * Deterministic: FUZZ_SEED=<n> reproduces a run (the seed is printed in every assertion message).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { InvalidEvent, LoggedEvent } from '../src/events/logged.ts';
import { MIN_TIMESTAMP_MS } from '../src/events/schema.ts';
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from '../src/ingest/collector.ts';
import { partitionFor } from '../src/log/event-log.ts';
import { makeEvent, startSystem } from './support/harness.ts';
import { mulberry32 } from '../src/prng.ts';

const SEED = process.env.FUZZ_SEED === undefined ? 0x5e55_1011 : Number(process.env.FUZZ_SEED) >>> 0;
const MIXED_BATCHES = 300;
const CONCURRENCY = 4;
const DAY = 24 * 3600 * 1000;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

const CHARS = ['a', 'b', 'z', '0', '9', ' ', '-', '_', '/', '"', '\\', '\n', '\u0000', 'é', 'ß', '中', '\u2028', '😀', '👍🏽'];

/** Well-formed text of at most `max` UTF-16 units (never splits a surrogate pair). */
function text(rng: Rng, max: number): string {
  let s = '';
  const target = rng.int(0, max);
  while (s.length < target) {
    const c = rng.pick(CHARS);
    if (s.length + c.length > max) break;
    s += c;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Valid events

const VALID_TYPES = ['product_view', 'click', 'add_to_cart', 'scroll', 'dwell', 'search', 'page_view', 'purchase', 'impression', 'identify', 'consent'] as const;

type Json = Record<string, unknown>;

function validEvent(rng: Rng, sentIds: string[]): Json {
  const type = rng.pick(VALID_TYPES);
  const item = (): string => `item-${rng.int(1, 60)}`;
  const fields: Json = { anonymousId: `device-${rng.int(1, 25)}` };
  switch (type) {
    case 'product_view':
    case 'add_to_cart':
      fields.itemId = item();
      if (rng.chance(0.3)) fields.price = rng.int(0, 1e8) / 100;
      if (rng.chance(0.3)) fields.quantity = rng.int(1, 10_000);
      if (rng.chance(0.2)) fields.category = `cat-${rng.int(1, 9)}`;
      break;
    case 'click':
      if (rng.chance(0.7)) fields.itemId = item();
      if (rng.chance(0.4)) Object.assign(fields, { listId: text(rng, 128), position: rng.int(0, 10_000) });
      break;
    case 'scroll':
      fields.depth = rng.pick([0, 100, rng.float() * 100, 50]);
      break;
    case 'dwell':
      fields.visibleMs = rng.pick([0, 86_400_000, rng.int(0, 600_000)]);
      if (rng.chance(0.5)) fields.itemId = item();
      break;
    case 'search':
      fields.query = rng.chance(0.1) ? 'q'.repeat(512) : text(rng, 512);
      break;
    case 'page_view':
      break;
    case 'purchase':
      fields.items = Array.from({ length: rng.int(1, 5) }, () => ({ itemId: item(), price: rng.int(0, 10_000), quantity: rng.int(1, 3) }));
      if (rng.chance(0.5)) fields.orderId = `order-${rng.int(1, 1e6)}`;
      break;
    case 'impression':
      fields.items = Array.from({ length: rng.int(1, rng.chance(0.1) ? 200 : 12) }, item);
      break;
    case 'identify':
      fields.userId = `user-${rng.int(1, 30)}`;
      break;
    case 'consent':
      fields.granted = rng.chance(0.5);
      if (rng.chance(0.5)) fields.purposes = ['analytics', 'personalisation'];
      break;
  }
  const event = makeEvent(type, fields);
  const now = Date.now();
  if (rng.chance(0.25)) delete event.sessionId; // the collector assigns one
  if (rng.chance(0.15)) event.context = { page: text(rng, 2048), device: rng.pick(['desktop', 'mobile', 'tablet', 'other']), locale: 'de-DE', region: 'eu' };
  if (rng.chance(0.05)) event.schemaVersion = 1;
  if (rng.chance(0.1) && type !== 'identify') event.userId = `user-${rng.int(1, 30)}`;
  if (rng.chance(0.1)) event.id = `${rng.int(0, 9)}`.repeat(128); // longest id allowed
  // Boundary timestamps that are still valid.
  const tsCase = rng.int(0, 19);
  if (tsCase === 0) event.ts = MIN_TIMESTAMP_MS;
  else if (tsCase === 1) event.ts = now + 23 * 3600 * 1000;
  else if (tsCase === 2) event.ts = now - rng.int(1, 365) * DAY;
  else if (tsCase === 3) {
    // A client clock years ahead: sentAt corrects it back to about now.
    const skew = rng.int(3, 5 * 365) * DAY;
    event.ts = now + skew;
    event.sentAt = now + skew;
  }
  // Duplicate ids of valid events are accepted (dedup happens downstream).
  if (sentIds.length > 0 && rng.chance(0.08)) event.id = rng.pick(sentIds);
  return event;
}

// ---------------------------------------------------------------------------------------------
// Malformed events

interface BadEvent {
  category: string;
  /** JSON text sent as the batch element. */
  text: string;
  /** What the invalid topic must keep for it (JSON text of the parsed element). */
  payload: string;
  /** The id the rejection must carry (a well-formed string id of at most 128 units). */
  id: string | undefined;
  /** A fragment the reason must contain, where the category pins it down. */
  reasonIncludes?: string;
}

function expectedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length <= 128 && id.isWellFormed() ? id : undefined;
}

function fromValue(category: string, value: unknown, reasonIncludes?: string): BadEvent {
  const json = JSON.stringify(value);
  return { category, text: json, payload: json, id: expectedId(value), ...(reasonIncludes === undefined ? {} : { reasonIncludes }) };
}

/** The event with `field` replaced by raw JSON text (which JSON.stringify could not produce). */
function withRaw(category: string, base: Json, field: string, raw: string, payloadRaw = raw): BadEvent {
  const marker = `"__RAW_${field}__"`;
  const json = JSON.stringify({ ...base, [field]: marker.slice(1, -1) });
  return { category, text: json.replace(marker, raw), payload: json.replace(marker, payloadRaw), id: field === 'id' ? undefined : expectedId(base) };
}

const STRING_FIELDS: Record<string, number> = { id: 128, anonymousId: 128, sessionId: 128, userId: 128 };
const TYPE_STRING_FIELDS: Record<string, Record<string, number>> = {
  product_view: { itemId: 128, category: 128 },
  add_to_cart: { itemId: 128, category: 128 },
  click: { itemId: 128, listId: 128 },
  search: { query: 512 },
  dwell: { itemId: 128 },
};
const REQUIRED: Record<string, string[]> = {
  product_view: ['itemId'],
  add_to_cart: ['itemId'],
  scroll: ['depth'],
  dwell: ['visibleMs'],
  search: ['query'],
  purchase: ['items'],
  impression: ['items'],
  identify: ['userId'],
  consent: ['granted'],
};
const NUMBER_FIELDS: Record<string, string[]> = {
  product_view: ['price', 'quantity'],
  add_to_cart: ['price', 'quantity'],
  scroll: ['depth'],
  dwell: ['visibleMs'],
  click: ['position'],
};

function deepText(rng: Rng, depth: number): string {
  switch (rng.int(0, 2)) {
    case 0:
      return '['.repeat(depth) + ']'.repeat(depth);
    case 1:
      return '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);
    default:
      return '[{"k":'.repeat(depth) + 'null' + '}]'.repeat(depth);
  }
}

const BAD_CATEGORIES = [
  'wrong-type',
  'missing-field',
  'huge-string',
  'deep-nesting',
  'nan-infinity',
  'future-ts',
  'ancient-ts',
  'unknown-type',
  'non-object',
  'extra-property',
  'lone-surrogate',
] as const;

function badEvent(rng: Rng, sentIds: string[]): BadEvent {
  const base = validEvent(rng, []);
  const type = base.type as string;
  // A bad event may reuse the id of a valid one: it is still rejected, the valid one still counts.
  if (sentIds.length > 0 && rng.chance(0.05)) base.id = rng.pick(sentIds);
  const category = rng.pick(BAD_CATEGORIES);
  const now = Date.now();
  switch (category) {
    case 'wrong-type': {
      const numberFields = NUMBER_FIELDS[type] ?? [];
      const field = rng.pick(['id', 'ts', 'anonymousId', 'sessionId', 'type', 'context', 'sentAt', 'schemaVersion', 'userId', ...numberFields, ...(REQUIRED[type] ?? [])]);
      let value: unknown;
      if (field === 'schemaVersion') value = rng.pick([2, 0, '1', true, null]);
      else if (field === 'context') value = rng.pick(['desktop', 1, [], null, { device: 'toaster' }, { page: 7 }]);
      else if (field === 'ts' || field === 'sentAt' || numberFields.includes(field) || field === 'depth' || field === 'visibleMs') {
        value = rng.pick(['1700000000000', '50', true, false, null, {}, [], [1], 1.5, -1, -0.5, 1e12 + 0.5]);
        // Values that happen to be valid for that field are replaced by a string.
        if (typeof value === 'number' && isValidNumber(field, value)) value = String(value);
      } else if (field === 'granted') value = rng.pick(['true', 1, 0, null, {}]);
      else if (field === 'items') value = rng.pick(['item-1', [], 5, null, [{}], [1, 2], [{ itemId: 1 }]]);
      else value = rng.pick([0, 42, -1, 1e21, true, false, null, {}, [], ['a'], { id: 'x' }]);
      return fromValue(category, { ...base, [field]: value });
    }
    case 'missing-field': {
      const field = rng.pick(['id', 'ts', 'anonymousId', 'type', ...(REQUIRED[type] ?? [])]);
      const copy = { ...base };
      delete copy[field];
      if (field === 'type') return fromValue(category, copy, '/type');
      return fromValue(category, copy);
    }
    case 'huge-string': {
      const fields: Record<string, number> = { ...STRING_FIELDS, ...(TYPE_STRING_FIELDS[type] ?? {}), page: 2048, locale: 35 };
      const field = rng.pick(Object.keys(fields));
      const max = fields[field]!;
      const length = rng.chance(0.1) ? rng.int(20_000, 120_000) : max + rng.int(1, 40);
      const value = rng.pick(['x', 'é', '中', '😀']).repeat(length);
      if (field === 'page' || field === 'locale') return fromValue(category, { ...base, context: { [field]: value } });
      return fromValue(category, { ...base, [field]: value });
    }
    case 'deep-nesting': {
      const depth = rng.pick([10_000, 10_000, 10_000, 2_000, 40_000]);
      const deep = deepText(rng, depth);
      if (rng.chance(0.3)) return { category, text: deep, payload: deep, id: undefined, reasonIncludes: deep.startsWith('[') ? 'event must be a JSON object' : '/type' };
      const field = rng.pick(['context', 'itemId', 'id', 'ts', 'nested', 'items']);
      return withRaw(category, base, field, deep);
    }
    case 'nan-infinity': {
      const field = rng.pick(['ts', 'sentAt', ...(NUMBER_FIELDS[type] ?? [])]);
      if (rng.chance(0.5)) return fromValue(category, { ...base, [field]: rng.pick(['NaN', 'Infinity', '-Infinity', 'nan', '1e400']) });
      // Numbers too large for a double parse to ±Infinity; JSON.stringify writes them back as null.
      const raw = rng.pick(['1e400', '-1e400', '1e999', '-123e456789']);
      return withRaw(category, base, field, raw, 'null');
    }
    case 'future-ts': {
      delete base.sentAt; // a skewed base clock would correct the timestamp back
      const variant = rng.int(0, 3);
      if (variant === 0) return fromValue(category, { ...base, ts: now + 2 * DAY + rng.int(1, 10 * 365) * DAY }, '/ts');
      if (variant === 1) return fromValue(category, { ...base, ts: rng.pick([8_640_000_000_000_000, 9e15, 1e300, Number.MAX_SAFE_INTEGER]) }, '/ts');
      if (variant === 2) {
        const copy = { ...base, ts: now, sentAt: now - rng.int(3, 365) * DAY }; // a slow client clock corrected into the future
        return fromValue(category, copy, '/ts');
      }
      return fromValue(category, { ...base, sentAt: rng.pick([9e15, 1e20]) }, '/sentAt');
    }
    case 'ancient-ts': {
      delete base.sentAt;
      const variant = rng.int(0, 2);
      if (variant === 0) return fromValue(category, { ...base, ts: rng.pick([0, 1, -1, MIN_TIMESTAMP_MS - 1, 1e11, -8.64e15, -0.5]) }, '/ts');
      if (variant === 1) return fromValue(category, { ...base, ts: rng.int(0, MIN_TIMESTAMP_MS - 1) }, '/ts');
      // Valid on its own, before 2000 after clock-skew correction.
      return fromValue(category, { ...base, ts: MIN_TIMESTAMP_MS + rng.int(0, 30) * DAY, sentAt: now + rng.int(60, 365) * DAY }, '/ts');
    }
    case 'unknown-type': {
      const value = rng.pick([
        'unknown',
        'PAGE_VIEW',
        'page_view ',
        ' page_view',
        '',
        'constructor',
        '__proto__',
        'toString',
        'hasOwnProperty',
        `${'a'.repeat(63)}😀`, // the reason clips the type at 64 units, inside the pair
        'x'.repeat(100_000),
        '\ud800',
        text(rng, 30) || 'zzz',
      ]);
      return fromValue(category, { ...base, type: value }, '/type');
    }
    case 'non-object': {
      const value = rng.pick<unknown>([0, -1, 3.14, 1e308, true, false, null, 'page_view', '', [], [base], [[]], { ...base, type: ['page_view'] }]);
      return fromValue(category, value, Array.isArray(value) || typeof value !== 'object' || value === null ? 'event must be a JSON object' : undefined);
    }
    case 'extra-property': {
      const copy: Json = { ...base };
      const variant = rng.int(0, 4);
      const value = rng.pick<unknown>([1, 'x', null, {}, [], { a: [1, { b: 2 }] }]);
      if (variant === 0) copy[`x_${text(rng, 20)}`] = value;
      else if (variant === 1) Object.defineProperty(copy, '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
      else if (variant === 2) Object.defineProperty(copy, 'constructor', { value, enumerable: true, configurable: true, writable: true });
      else if (variant === 3) copy.context = { page: '/', colour: 'blue' };
      else copy.Type = 'page_view';
      return fromValue(category, copy);
    }
    case 'lone-surrogate': {
      const fields: Record<string, number> = { ...STRING_FIELDS, ...(TYPE_STRING_FIELDS[type] ?? {}) };
      const field = rng.pick([...Object.keys(fields), 'page', 'referrer', ...(type === 'purchase' ? ['items'] : [])]);
      const lone = rng.pick(['\ud800', '\udc00', 'a\udbff', '\udfffz', '\udfff\ud800', `ok${'\ud83d'}`]);
      if (field === 'page' || field === 'referrer') return fromValue(category, { ...base, context: { [field]: lone } }, 'well-formed');
      if (field === 'items') return fromValue(category, { ...base, items: [{ itemId: 'fine' }, { itemId: lone }] }, '/items/1/itemId');
      return fromValue(category, { ...base, [field]: lone }, `/${field}: string is not well-formed`);
    }
  }
}

function isValidNumber(field: string, value: number): boolean {
  if (field === 'ts' || field === 'sentAt') return value >= MIN_TIMESTAMP_MS && value <= 8.64e15 && (field === 'sentAt' || value < Date.now() + DAY);
  if (field === 'depth') return value >= 0 && value <= 100;
  if (field === 'price') return value >= 0 && value <= 1e9;
  if (field === 'quantity') return Number.isInteger(value) && value >= 1 && value <= 10_000;
  if (field === 'visibleMs') return Number.isInteger(value) && value >= 0 && value <= 86_400_000;
  if (field === 'position') return Number.isInteger(value) && value >= 0 && value <= 10_000;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping of what the server must have kept and logged

const sha = (s: string): string => createHash('sha1').update(s).digest('hex');

interface Expectations {
  /** `${index}|${sha(payload)}` -> reasons (events: the exact reason answered; bodies: the error answered, which starts with the kept reason). */
  kept: Map<string, string[]>;
  keptCount: number;
  validIds: string[];
  accepted: number;
  requests: number;
  badEvents: number;
  badBodies: number;
  categories: Map<string, number>;
}

function expectKept(x: Expectations, index: number, payload: string, reason: string): void {
  const key = `${index}|${sha(payload)}`;
  const list = x.kept.get(key) ?? [];
  list.push(reason);
  x.kept.set(key, list);
  x.keptCount++;
}

interface ResponseBody {
  accepted?: number;
  rejected?: Array<{ index: number; id?: string; reason: string }>;
  token?: string;
  error?: string;
}

async function post(url: string, body: string | Buffer, contentType = 'application/json'): Promise<{ status: number; body: ResponseBody }> {
  const response = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const textBody = await response.text();
  let parsed: ResponseBody;
  try {
    parsed = JSON.parse(textBody) as ResponseBody;
  } catch {
    throw new Error(`seed=${SEED}: response ${response.status} is not JSON: ${textBody.slice(0, 200)}`);
  }
  return { status: response.status, body: parsed };
}

type Element = { valid: Json; text: string } | { bad: BadEvent };

/** Posts one batch and checks the per-event verdicts. */
async function sendBatch(url: string, x: Expectations, elements: Element[], form: 'object' | 'array', contentType: string, label: string): Promise<void> {
  const texts = elements.map((e) => ('bad' in e ? e.bad.text : e.text));
  const body = form === 'object' ? `{"events":[${texts.join(',')}]}` : `[${texts.join(',')}]`;
  x.requests++;
  const { status, body: res } = await post(url, body, contentType);
  const where = `seed=${SEED} ${label}`;
  assert.equal(status, 200, `${where}: status ${status}: ${JSON.stringify(res).slice(0, 300)}`);
  const badIndices = elements.flatMap((e, i) => ('bad' in e ? [i] : []));
  const validCount = elements.length - badIndices.length;
  const rejected = res.rejected ?? [];
  const mismatch = (): string =>
    `${where}: rejected ${JSON.stringify(rejected.map((r) => [r.index, r.reason.slice(0, 100)]))}, expected indices ${JSON.stringify(badIndices)} (categories ${JSON.stringify(badIndices.map((i) => (elements[i] as { bad: BadEvent }).bad.category))})`;
  assert.deepEqual(
    rejected.map((r) => r.index),
    badIndices,
    mismatch(),
  );
  assert.equal(res.accepted, validCount, mismatch());
  assert.equal(typeof res.token, 'string', where);
  for (const r of rejected) {
    const bad = (elements[r.index] as { bad: BadEvent }).bad;
    const w = `${where} index ${r.index} (${bad.category}, ${bad.text.slice(0, 120)})`;
    assert.equal(typeof r.reason, 'string', w);
    assert.ok(r.reason.length > 0, `${w}: empty reason`);
    assert.equal(r.id, bad.id, `${w}: rejection id`);
    if (bad.reasonIncludes !== undefined) assert.ok(r.reason.includes(bad.reasonIncludes), `${w}: reason "${r.reason.slice(0, 200)}" lacks "${bad.reasonIncludes}"`);
    expectKept(x, r.index, bad.payload, r.reason);
    x.badEvents++;
    x.categories.set(bad.category, (x.categories.get(bad.category) ?? 0) + 1);
  }
  for (const e of elements) if (!('bad' in e)) x.validIds.push(e.valid.id as string);
  x.accepted += validCount;
}

/** Posts a body the collector must refuse as a whole, and checks that it answers status with an error. */
async function sendBadBody(url: string, x: Expectations, body: string | Buffer, status: 400 | 413, payload: string, label: string, contentType = 'application/json', errorIncludes?: string): Promise<void> {
  x.requests++;
  const res = await post(url, body, contentType);
  const where = `seed=${SEED} body ${label}`;
  assert.equal(res.status, status, `${where}: status ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.equal(typeof res.body.error, 'string', `${where}: no error string`);
  assert.ok(res.body.error!.length > 0, `${where}: empty error`);
  if (errorIncludes !== undefined) assert.ok(res.body.error!.includes(errorIncludes), `${where}: error "${res.body.error}" lacks "${errorIncludes}"`);
  expectKept(x, -1, payload, res.body.error!);
  x.badBodies++;
}

/** Runs `work` over the items, `concurrency` at a time; the first failure stops the others taking more. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const results = await Promise.allSettled(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length && !failed) {
        try {
          await work(items[next++]!);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

// ---------------------------------------------------------------------------------------------

test(`collector fuzz over HTTP: malformed bodies and events never crash it, are kept with reasons, and spare valid neighbours (seed ${SEED})`, async () => {
  const running = await startSystem();
  const { url } = running;
  const rng = new Rng(SEED);
  const x: Expectations = { kept: new Map(), keptCount: 0, validIds: [], accepted: 0, requests: 0, badEvents: 0, badBodies: 0, categories: new Map() };
  const started = Date.now();
  try {
    // --- 1. Mixed batches: valid events interleaved with malformed ones. -------------------------
    const batches: Array<{ elements: Element[]; form: 'object' | 'array'; contentType: string; label: string }> = [];
    const generatedIds: string[] = []; // ids of valid events generated so far: duplicates are drawn from them
    for (let b = 0; b < MIXED_BATCHES; b++) {
      const size = b === 0 ? MAX_BATCH_EVENTS : rng.chance(0.05) ? rng.int(100, MAX_BATCH_EVENTS) : rng.int(1, 40);
      const badRatio = rng.pick([0, 0.1, 0.5, 0.9, 1, rng.float()]);
      const elements: Element[] = [];
      let bytes = 20;
      for (let i = 0; i < size; i++) {
        let element: Element;
        if (rng.chance(badRatio)) element = { bad: badEvent(rng, generatedIds) };
        else {
          const valid = validEvent(rng, generatedIds);
          element = { valid, text: JSON.stringify(valid) };
        }
        const length = Buffer.byteLength('bad' in element ? element.bad.text : element.text) + 1;
        if (bytes + length > MAX_BODY_BYTES - 1024) break; // stay a legal body
        bytes += length;
        elements.push(element);
        if (!('bad' in element)) generatedIds.push(element.valid.id as string);
      }
      const form = rng.chance(0.8) ? 'object' : 'array';
      const contentType = rng.pick(['application/json', 'application/json; charset=utf-8', 'text/plain;charset=UTF-8']);
      batches.push({ elements, form, contentType, label: `mixed batch ${b}` });
    }
    await pool(batches, CONCURRENCY, (batch) => sendBatch(url, x, batch.elements, batch.form, batch.contentType, batch.label));

    // Batch-shaped edge cases answered 200.
    await sendBatch(url, x, [], 'object', 'application/json', 'empty batch (object)');
    await sendBatch(url, x, [], 'array', 'application/json', 'empty batch (array)');
    for (const depth of [10_000, 100_000]) {
      // A whole body nested `depth` deep is a batch of one array event nested depth-1 deep.
      const inner = '['.repeat(depth - 1) + ']'.repeat(depth - 1);
      await sendBatch(url, x, [{ bad: { category: 'deep-nesting', text: inner, payload: inner, id: undefined, reasonIncludes: 'event must be a JSON object' } }], 'array', 'application/json', `deep array body ${depth}`);
    }
    {
      // A body of exactly 1 MB is allowed (whitespace padding is legal JSON).
      const valid = validEvent(rng, []);
      const core = `{"events":[${JSON.stringify(valid)}]}`;
      const body = core + ' '.repeat(MAX_BODY_BYTES - Buffer.byteLength(core));
      assert.equal(Buffer.byteLength(body), MAX_BODY_BYTES);
      x.requests++;
      const res = await post(url, body);
      assert.equal(res.status, 200, `seed=${SEED}: exactly 1 MB: ${JSON.stringify(res.body).slice(0, 200)}`);
      assert.equal(res.body.accepted, 1, `seed=${SEED}: exactly 1 MB`);
      x.accepted++;
      x.validIds.push(valid.id as string);
    }

    // --- 2. Whole bodies refused as a whole. ---------------------------------------------------
    const validBatch = (n: number): Json[] => Array.from({ length: n }, () => validEvent(rng, []));
    const sample = JSON.stringify({ events: validBatch(3) });
    const notJson = [
      '',
      ' ',
      'NaN',
      'Infinity',
      '-Infinity',
      'undefined',
      '{"events":[NaN]}',
      '{"events":[{"type":"page_view","ts":NaN}]}',
      '{"events":[Infinity]}',
      "{'events':[]}",
      '{"events":[1,]}',
      '{"events":[]',
      '{events:[]}',
      '[1 2]',
      '\u0000',
      sample.slice(0, Math.floor(sample.length / 2)),
      sample + '}',
      sample + sample,
      '{"events":[{"a":"\\x41"}]}',
      '{"events":["\\ud800\\u"]}',
      '['.repeat(50_000),
      // V8 quotes the body in its message, clipped inside a surrogate pair for some of these.
      ...['x', 'ax', 'aax', '[1,', 'a[1,', 'aa{"a":1'].map((start) => start + '😀'.repeat(30)),
    ];
    for (let i = 0; i < 40; i++) {
      // Random garbage from printable and control characters, most of which is not JSON.
      const garbage = Array.from({ length: rng.int(1, 200) }, () => String.fromCharCode(rng.int(0, 127))).join('');
      let parses = true;
      try {
        JSON.parse(garbage);
      } catch {
        parses = false;
      }
      if (!parses) notJson.push(garbage);
    }
    for (const [i, body] of notJson.entries()) {
      await sendBadBody(url, x, body, 400, body, `not JSON #${i} ${JSON.stringify(body.slice(0, 40))}`, i % 3 === 0 ? 'text/plain' : 'application/json', 'body is not JSON');
    }

    // Invalid UTF-8 (the raw bytes are kept as latin1).
    const good = Buffer.from(JSON.stringify({ events: [validEvent(rng, [])] }));
    const badBytes: Buffer[] = [
      Buffer.from([0xff]),
      Buffer.from([0x80]),
      Buffer.from([0xc0, 0xaf]), // overlong '/'
      Buffer.from([0xe2, 0x82]), // truncated sequence
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate (CESU-8)
      Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
      Buffer.from([0xfe, 0xfe, 0xff, 0xff]),
    ];
    for (let i = 0; i < 60; i++) {
      const bytes = rng.pick(badBytes);
      const at = rng.int(0, good.length);
      const body = i < badBytes.length ? badBytes[i]! : Buffer.concat([good.subarray(0, at), bytes, good.subarray(at)]);
      await sendBadBody(url, x, body, 400, body.toString('latin1'), `invalid UTF-8 #${i}`, i % 2 ? 'application/json' : 'text/plain', 'not valid UTF-8');
    }

    // JSON that is not a batch.
    const notBatch = ['5', '-0', '1e400', '"events"', 'null', 'true', 'false', '{"foo":1}', '{}', '{"events":{}}', '{"events":"[]"}', '{"events":null}', '{"events":1}', '{"Events":[]}', '{"event":[{}]}', '"\\ud800"'];
    for (const depth of [10_000, 40_000]) {
      notBatch.push('{"a":'.repeat(depth) + '0' + '}'.repeat(depth));
      notBatch.push('{"events":' + '{"a":'.repeat(depth) + '0' + '}'.repeat(depth) + '}');
    }
    for (const [i, body] of notBatch.entries()) {
      const canonical = body.length < 100 ? JSON.stringify(JSON.parse(body)) : body; // -0 is kept as 0, 1e400 as null
      await sendBadBody(url, x, body, 400, canonical, `not a batch #${i} ${body.slice(0, 30)}`, 'application/json', 'body must be');
    }

    // Too many events.
    for (const [i, n] of [MAX_BATCH_EVENTS + 1, MAX_BATCH_EVENTS + 1, 1_500].entries()) {
      const texts = Array.from({ length: n }, () => {
        // Small elements, so that the body stays under 1 MB; texts that JSON.parse changes are left out.
        let element = rng.chance(0.8) ? JSON.stringify(validEvent(rng, [])) : badEvent(rng, []).text;
        while (element.length > 600 || JSON.stringify(JSON.parse(element)) !== element) element = JSON.stringify(validEvent(rng, []));
        return element;
      });
      const body = i === 1 ? `[${texts.join(',')}]` : `{"events":[${texts.join(',')}]}`;
      await sendBadBody(url, x, body, 413, body, `${n} events`, 'application/json', `batch has ${n} events`);
    }

    // Too large: over 1 MB (the first megabyte is kept); multibyte padding cuts a character.
    for (const [i, size] of [MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 2, 1_500_000, 4_000_000].entries()) {
      const filler = i % 2 ? '中' : 'x';
      const head = `{"events":[${JSON.stringify(validEvent(rng, []))},{"type":"page_view","pad":"`;
      const tail = '"}]}';
      const padding = filler.repeat(Math.ceil((size - Buffer.byteLength(head + tail)) / Buffer.byteLength(filler)));
      const body = Buffer.from(head + padding + tail);
      assert.ok(body.length > MAX_BODY_BYTES, `seed=${SEED}: body ${i} is ${body.length} bytes`);
      await sendBadBody(url, x, body, 413, body.toString('utf8', 0, MAX_BODY_BYTES), `${body.length} bytes`, 'application/json', 'limit is');
    }

    // Over the 8 MB read limit Fastify refuses the body before reading it: answered 413, not kept
    // (by design, see READ_LIMIT_BYTES in src/serve/http.ts), and the server carries on.
    {
      x.requests++;
      const res = await post(url, Buffer.alloc(9 * 1024 * 1024, 0x20));
      assert.equal(res.status, 413, `seed=${SEED}: 9 MB body`);
      assert.equal(typeof res.body.error, 'string', `seed=${SEED}: 9 MB body`);
    }

    // --- 3. A final spot check, sequential so it is the newest kept record. --------------------
    const spot: Json = { ...makeEvent('product_view', { itemId: 'spot' }), ts: 'yesterday' };
    const spotNeighbour = makeEvent('page_view');
    x.requests++;
    const spotRes = await post(url, JSON.stringify({ events: [spotNeighbour, spot] }));
    assert.equal(spotRes.status, 200, `seed=${SEED}: spot check`);
    assert.equal(spotRes.body.accepted, 1, `seed=${SEED}: spot check`);
    assert.deepEqual(spotRes.body.rejected?.map((r) => [r.index, r.id]), [[1, spot.id]], `seed=${SEED}: spot check`);
    x.accepted++;
    x.badEvents++;
    x.validIds.push(spotNeighbour.id as string);
    expectKept(x, 1, JSON.stringify(spot), spotRes.body.rejected![0]!.reason);
    const [newest] = await running.system.collector.invalidTail(1);
    assert.equal(newest?.payload, JSON.stringify(spot), `seed=${SEED}: the newest kept payload is the JSON text of the bad event sent`);
    assert.equal(newest?.index, 1, `seed=${SEED}: spot check index`);
    assert.equal(newest?.id, spot.id as string, `seed=${SEED}: spot check id`);
    assert.equal(newest?.reason, spotRes.body.rejected![0]!.reason, `seed=${SEED}: spot check reason`);

    // --- 4. The server is alive, and everything was kept and logged. -------------------------
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200, `seed=${SEED}: /healthz after the fuzz`);

    const log = running.system.log;
    const invalidPartition = partitionFor('invalid', log.partitions);
    const invalidEnds = await log.endOffsets('invalid');
    invalidEnds.forEach((end, p) => {
      if (p !== invalidPartition) assert.equal(end, 0, `seed=${SEED}: invalid records outside partition ${invalidPartition}`);
    });
    const invalidEnd = invalidEnds[invalidPartition]!;
    assert.equal(invalidEnd, x.keptCount, `seed=${SEED}: ${invalidEnd} invalid records kept for ${x.keptCount} rejections (${x.badEvents} events, ${x.badBodies} bodies)`);
    const records = await log.read<InvalidEvent>('invalid', invalidPartition, 0, invalidEnd + 10);
    assert.equal(records.length, x.keptCount, `seed=${SEED}: invalid records read back`);
    for (const { offset, value } of records) {
      const where = `seed=${SEED}: invalid record ${offset} (index ${value.index}, reason ${JSON.stringify(value.reason?.slice(0, 100))}, payload ${JSON.stringify(value.payload?.slice(0, 100))})`;
      assert.equal(typeof value.reason, 'string', where);
      assert.ok(value.reason.length > 0, `${where}: empty reason`);
      assert.equal(typeof value.receivedAt, 'number', where);
      assert.ok(value.receivedAt >= started, `${where}: receivedAt`);
      const list = x.kept.get(`${value.index}|${sha(value.payload)}`);
      assert.ok(list !== undefined && list.length > 0, `${where}: kept but not expected (or kept twice), or the payload differs from what was sent`);
      const at = value.index >= 0 ? list.indexOf(value.reason) : list.findIndex((error) => error.startsWith(value.reason));
      assert.ok(at >= 0, `${where}: the kept reason differs from the one answered (${JSON.stringify(list.map((r) => r.slice(0, 100)))})`);
      list.splice(at, 1);
    }
    const missing = [...x.kept.entries()].filter(([, list]) => list.length > 0);
    assert.deepEqual(missing, [], `seed=${SEED}: rejections never kept`);

    // The admin API serves the same tail.
    const admin = await fetch(`${url}/v1/admin/invalid?limit=1000`);
    assert.equal(admin.status, 200, `seed=${SEED}: /v1/admin/invalid`);
    const tail = ((await admin.json()) as { events: Array<{ offset: number } & InvalidEvent> }).events;
    assert.equal(tail.length, Math.min(1000, x.keptCount), `seed=${SEED}: /v1/admin/invalid length`);
    const expectedTail = records.slice(-tail.length);
    tail.forEach((t, i) => {
      const r = expectedTail[i]!;
      assert.equal(t.offset, r.offset, `seed=${SEED}: admin tail offset ${i}`);
      assert.equal(sha(t.payload), sha(r.value.payload), `seed=${SEED}: admin tail payload at offset ${r.offset}`);
    });

    // Every accepted event reached the events topic, duplicates included.
    const eventEnds = await log.endOffsets('events');
    const logged = eventEnds.reduce((a, b) => a + b, 0);
    assert.equal(logged, x.accepted, `seed=${SEED}: ${x.accepted} accepted, ${logged} in the events topic`);
    const loggedIds: string[] = [];
    for (let p = 0; p < eventEnds.length; p++) {
      for (const entry of await log.read<LoggedEvent>('events', p, 0, eventEnds[p]! + 10)) loggedIds.push(entry.value.event.id);
    }
    assert.deepEqual([...loggedIds].sort(), [...x.validIds].sort(), `seed=${SEED}: the ids in the events topic are the valid ids sent`);

    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false, `seed=${SEED}: prototype pollution`);
    for (const category of BAD_CATEGORIES) assert.ok((x.categories.get(category) ?? 0) > 50, `seed=${SEED}: category ${category} was exercised only ${x.categories.get(category) ?? 0} times`);
    assert.ok(x.badEvents >= 2000, `seed=${SEED}: only ${x.badEvents} malformed events`);

    const health2 = await fetch(`${url}/healthz`);
    assert.equal(health2.status, 200, `seed=${SEED}: /healthz at the end`);
    console.log(
      `collector fuzz seed=${SEED}: ${x.requests} requests, ${x.badEvents} malformed events, ${x.badBodies} malformed bodies, ${x.accepted} valid events accepted, ${Date.now() - started} ms; per category ${JSON.stringify(Object.fromEntries(x.categories))}`,
    );
  } finally {
    await running.close();
  }
});
