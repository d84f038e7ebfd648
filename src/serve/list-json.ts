/**
 * A recommendation answer as JSON bytes, written field by field into a reused buffer.
 *
 * `JSON.stringify` of a 20-item answer took 10-14 µs on the serving machines, a tenth of a
 * request's CPU at full load: Node 20's serializer scans every character of every string and
 * prints every score in its shortest round-trip form (about 200 ns a double). Here ASCII strings
 * are copied byte by byte, a reason repeated down the list is copied from its first occurrence,
 * and scores are printed rounded to SCORE_DECIMALS by integer arithmetic. Strings outside
 * printable ASCII go through `JSON.stringify`, so escaping stays the standard's.
 */
import type { Static } from '@sinclair/typebox';
import type { RuleDecision } from '../recommend/rules/rules.ts';
import type { ShownItem } from './recommendations.ts';

/** Scores are ranking values: six decimals tell apart any two that differ in a way that matters. */
export const SCORE_DECIMALS = 6;
const SCORE_SCALE = 10 ** SCORE_DECIMALS;
/** From this on a score is printed as JavaScript prints it (below it, its whole part is an int32). */
const FIXED_LIMIT = 1e9;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface RecommendationAnswer {
  strategy: string;
  items: ReadonlyArray<Static<typeof ShownItem>>;
  decisions?: readonly RuleDecision[];
}

/** Bytes of one slab, then of the next: an answer is a view of its slab, not a copy. */
const SLAB_BYTES = 64 * 1024;

/** The bytes under construction, written after the previous answer's in the current slab. */
class JsonBytes {
  private out = Buffer.allocUnsafe(SLAB_BYTES);
  /** Where the answer being written starts, and where its next byte goes. */
  private start = 0;
  private at = 0;

  answer(answer: RecommendationAnswer, fresh: boolean | undefined): Buffer {
    this.ascii('{"strategy":');
    this.string(answer.strategy);
    if (fresh !== undefined) this.ascii(fresh ? ',"fresh":true' : ',"fresh":false');
    this.ascii(',"items":[');
    // Where the last reason's bytes start and end in this answer: lists repeat one reason item after item.
    let reason: string | undefined;
    let reasonStart = 0;
    let reasonEnd = 0;
    for (let i = 0; i < answer.items.length; i++) {
      const item = answer.items[i]!;
      this.ascii(i === 0 ? '{"itemId":' : ',{"itemId":');
      this.string(item.itemId);
      this.ascii(',"score":');
      this.score(item.score);
      this.ascii(',"reason":');
      if (item.reason === reason) this.again(reasonStart, reasonEnd);
      else {
        reason = item.reason;
        reasonStart = this.at - this.start;
        this.string(item.reason);
        reasonEnd = this.at - this.start;
      }
      if (item.title !== undefined) this.field(',"title":', item.title);
      if (item.category !== undefined) this.field(',"category":', item.category);
      if (item.price !== undefined) {
        this.ascii(',"price":');
        this.ascii(JSON.stringify(item.price));
      }
      if (item.imageUrl !== undefined) this.field(',"imageUrl":', item.imageUrl);
      this.ascii('}');
    }
    this.ascii(']');
    if (answer.decisions !== undefined) {
      this.ascii(',"decisions":[');
      for (let i = 0; i < answer.decisions.length; i++) {
        const decision = answer.decisions[i]!;
        this.ascii(i === 0 ? '{"itemId":' : ',{"itemId":');
        this.string(decision.itemId);
        this.field(',"rule":', decision.rule);
        this.field(',"detail":', decision.detail);
        this.ascii('}');
      }
      this.ascii(']');
    }
    this.ascii('}');
    const bytes = this.out.subarray(this.start, this.at);
    this.start = this.at;
    return bytes;
  }

  private field(key: string, value: string): void {
    this.ascii(key);
    this.string(value);
  }

  /** Room for `bytes` more: where the slab is full, the answer so far moves to a new one. */
  private reserve(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;
    const written = this.at - this.start;
    const slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * (written + bytes)));
    this.out.copy(slab, 0, this.start, this.at);
    this.out = slab;
    this.start = 0;
    this.at = written;
  }

  /** The bytes of this answer from `from` to `to` once more. */
  private again(from: number, to: number): void {
    this.reserve(to - from);
    this.out.copyWithin(this.at, this.start + from, this.start + to);
    this.at += to - from;
  }

  /** Text known to be printable ASCII without quotes or backslashes (the keys, JSON literals). */
  private ascii(text: string): void {
    this.reserve(text.length);
    const { out, at } = this;
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
    this.at = at + text.length;
  }

  /** A JSON string: copied as it is while it is printable ASCII, else encoded by JSON.stringify. */
  private string(value: string): void {
    // The quotes and the characters; an escape takes at most 6 bytes for one UTF-16 unit.
    this.reserve(2 + 6 * value.length);
    const { out, at } = this;
    out[at] = QUOTE;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        this.at = at + out.write(JSON.stringify(value), at, 'utf8');
        return;
      }
      out[at + 1 + i] = c;
    }
    out[at + 1 + value.length] = QUOTE;
    this.at = at + 2 + value.length;
  }

  /** A score rounded to SCORE_DECIMALS, trailing zeros dropped; what JSON.stringify prints from FIXED_LIMIT on (null where not finite). */
  private score(value: number): void {
    const magnitude = Math.abs(value);
    if (!(magnitude < FIXED_LIMIT)) {
      this.ascii(JSON.stringify(value));
      return;
    }
    // Whole part and fraction apart, each an int32 (FIXED_LIMIT < 2^31), for integer digit loops.
    let whole = Math.floor(magnitude);
    let fraction = Math.round((magnitude - whole) * SCORE_SCALE);
    if (fraction === SCORE_SCALE) {
      whole++;
      fraction = 0;
    }
    this.reserve(2 + 10 + SCORE_DECIMALS);
    const out = this.out;
    let at = this.at;
    if (value < 0 && (whole !== 0 || fraction !== 0)) out[at++] = 0x2d; // '-'
    at = writeDigits(out, at, whole | 0, digitCount(whole | 0));
    if (fraction !== 0) {
      let digits = fraction | 0;
      let width = SCORE_DECIMALS;
      while (digits % 10 === 0) {
        digits = (digits / 10) | 0;
        width--;
      }
      out[at++] = 0x2e; // '.'
      at = writeDigits(out, at, digits, width);
    }
    this.at = at;
  }
}

/** Decimal digits of a non-negative int32. */
function digitCount(value: number): number {
  let width = 1;
  for (let rest = value; rest >= 10; rest = (rest / 10) | 0) width++;
  return width;
}

/** The last `width` decimal digits of a non-negative int32, zero-padded; returns the end. */
function writeDigits(out: Buffer, at: number, value: number, width: number): number {
  for (let d = width - 1; d >= 0; d--) {
    out[at + d] = 0x30 + (value % 10);
    value = (value / 10) | 0;
  }
  return at + width;
}

const writer = new JsonBytes();

/**
 * The answer as UTF-8 JSON, in bytes no later answer overwrites (the socket may still hold them).
 * `fresh`, where given, follows the strategy: GET /v1/recommendations says whether the answer
 * waited for the events it was asked to (`after`); the live stream does not.
 */
export function recommendationJson(answer: RecommendationAnswer, fresh?: boolean): Buffer {
  return writer.answer(answer, fresh);
}
