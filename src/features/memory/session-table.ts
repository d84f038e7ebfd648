/**
 * Per-session features in fixed-size slots of chunked typed arrays (about 150 bytes a session,
 * plus up to 32 in the key table), so a million live sessions fit in a few hundred megabytes and a
 * checkpoint is a handful of buffer copies. Slots of ended sessions are recycled.
 *
 * A slot holds: start and last event time, the session number within its context, the event
 * count, dwell and max scroll, the price range of viewed items, the last RECENT_ITEMS items
 * (a ring, item ids interned), the cart (CART_ITEMS), a recency-weighted interest over up
 * to CATEGORY_SLOTS categories, and the device its latest event named.
 */
import { DEVICES, type Device } from '../../events/schema.ts';
import { NOTHING_IGNORED } from '../feature-store.ts';
import { HashTable52, type HashTableSnapshot } from './hash-table.ts';

export const RECENT_ITEMS = 12;
export const CART_ITEMS = 6;
export const CATEGORY_SLOTS = 4;

const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

// Uint32 layout: ids are stored +1 so that 0 means empty.
const U_SEQ = 0;
const U_EVENTS = 1;
const U_DWELL = 2;
const U_ITEM_PUSHES = 3;
const U_INDEX_RECORD = 4;
const U_ITEMS = 5;
const U_CART = U_ITEMS + RECENT_ITEMS;
const U_CATS = U_CART + CART_ITEMS;
const U_DEVICE = U_CATS + CATEGORY_SLOTS;
const U_FIELDS = U_DEVICE + 1;
/** The Uint32 fields of a slot in checkpoints written before the device was kept (it was last). */
const U_FIELDS_WITHOUT_DEVICE = U_DEVICE;
// Float64 layout.
const D_START = 0;
const D_LAST = 1;
const D_FIELDS = 2;
// Float32 layout.
const F_PRICE_MIN = 0;
const F_PRICE_MAX = 1;
const F_SCROLL = 2;
const F_CAT_W = 3;
const F_FIELDS = F_CAT_W + CATEGORY_SLOTS;

export const SESSION_SLOT_BYTES = U_FIELDS * 4 + D_FIELDS * 8 + F_FIELDS * 4;

/** A device as stored: 0 for none named, else its place in DEVICES plus one. */
export function deviceCode(device: Device | undefined): number {
  return device === undefined ? 0 : DEVICES.indexOf(device) + 1;
}

export function deviceName(code: number): Device | undefined {
  return code === 0 ? undefined : DEVICES[code - 1];
}

/** Items a session saw without interacting with, kept per session (the oldest go first). */
export const IGNORED_ITEMS = 32;

/** Half-life of in-session category interest, in event time. */
const INTEREST_HALF_LIFE_MS = 10 * 60_000;

export interface SessionView {
  seq: number;
  startTime: number;
  lastTime: number;
  events: number;
  dwellMs: number;
  maxScroll: number;
  priceMin: number | undefined;
  priceMax: number | undefined;
  /** The device of the latest event that named one (deviceCode: 0 for none). */
  device: number;
  /** Interned item ids, most recent first. */
  recentItems: number[];
  cart: number[];
  /** Interned category ids with their recency-weighted interest at lastTime, strongest first. */
  interests: Array<{ category: number; weight: number }>;
  /** This session's record in the session index, once it has touched an item. */
  indexRecord: number | undefined;
  /** Items shown to the shopper and not interacted with since: item → times seen. */
  ignored: ReadonlyMap<number, number>;
}

export interface SessionTableSnapshot {
  index: HashTableSnapshot;
  u32: Uint32Array[];
  f64: Float64Array[];
  f32: Float32Array[];
  free: number[];
  slots: number;
  /** Absent in checkpoints written before feedback existed. */
  ignored?: Map<number, Map<number, number>>;
}

export class SessionTable {
  private index = new HashTable52(1 << 12);
  private u32: Uint32Array[] = [];
  private f64: Float64Array[] = [];
  private f32: Float32Array[] = [];
  private free: number[] = [];
  private slots = 0;
  /**
   * slot → ignored items. Beside the typed arrays rather than in them: most sessions never see a
   * tracked list, so a sparse map keeps the per-session bytes of the rest unchanged.
   */
  private ignored = new Map<number, Map<number, number>>();

  get size(): number {
    return this.index.size;
  }

  /** Bytes held by the table, for the memory benchmark and metrics. */
  get byteLength(): number {
    return this.index.byteLength + this.u32.length * CHUNK * SESSION_SLOT_BYTES + this.free.length * 8;
  }

  slotOf(key: number): number | undefined {
    return this.index.get(key);
  }

  /** Creates an empty session for `key` at `time` and returns its slot. */
  create(key: number, time: number, seq: number): number {
    const slot = this.free.pop() ?? this.grow();
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const d = this.f64[slot >>> CHUNK_BITS]!;
    const f = this.f32[slot >>> CHUNK_BITS]!;
    const i = slot & MASK;
    u.fill(0, i * U_FIELDS, (i + 1) * U_FIELDS);
    f.fill(0, i * F_FIELDS, (i + 1) * F_FIELDS);
    u[i * U_FIELDS + U_SEQ] = seq;
    d[i * D_FIELDS + D_START] = time;
    d[i * D_FIELDS + D_LAST] = time;
    f[i * F_FIELDS + F_PRICE_MIN] = Number.NaN;
    f[i * F_FIELDS + F_PRICE_MAX] = Number.NaN;
    this.index.set(key, slot);
    return slot;
  }

  remove(key: number): void {
    const slot = this.index.get(key);
    if (slot === undefined) return;
    this.index.delete(key);
    this.free.push(slot);
    this.ignored.delete(slot);
  }

  /** The shopper saw `item` (an impression) and has not interacted with it yet. */
  addIgnored(slot: number, item: number): void {
    let seen = this.ignored.get(slot);
    if (!seen) this.ignored.set(slot, (seen = new Map()));
    const count = seen.get(item);
    if (count === undefined && seen.size >= IGNORED_ITEMS) seen.delete(seen.keys().next().value!);
    seen.set(item, (count ?? 0) + 1);
  }

  /** Items shown in the session at `slot` and not interacted with since: item → times seen. */
  ignoredAt(slot: number): ReadonlyMap<number, number> {
    return this.ignored.get(slot) ?? NOTHING_IGNORED;
  }

  /** The shopper interacted with `item`: it was not ignored after all. */
  clearIgnored(slot: number, item: number): void {
    const seen = this.ignored.get(slot);
    if (seen?.delete(item) && seen.size === 0) this.ignored.delete(slot);
  }

  /** Moves a session to another key (identify: an anonymous session becomes the user's). */
  rekey(from: number, to: number): void {
    const slot = this.index.get(from);
    if (slot === undefined) return;
    this.index.delete(from);
    this.index.set(to, slot);
  }

  /** Visits up to `budget` key-table slots from `cursor`; returns where to resume (0 after a full pass). */
  scan(cursor: number, budget: number, fn: (key: number, slot: number) => void): number {
    return this.index.scan(cursor, budget, fn);
  }

  startTime(slot: number): number {
    return this.f64[slot >>> CHUNK_BITS]![(slot & MASK) * D_FIELDS + D_START]!;
  }

  lastTime(slot: number): number {
    return this.f64[slot >>> CHUNK_BITS]![(slot & MASK) * D_FIELDS + D_LAST]!;
  }

  seq(slot: number): number {
    return this.u32[slot >>> CHUNK_BITS]![(slot & MASK) * U_FIELDS + U_SEQ]!;
  }

  /** Records activity at `time`: event count, first/last time, and decays category interest. */
  touch(slot: number, time: number): void {
    const c = slot >>> CHUNK_BITS;
    const i = slot & MASK;
    const d = this.f64[c]!;
    const last = d[i * D_FIELDS + D_LAST]!;
    if (time > last) {
      const f = this.f32[c]!;
      const decay = Math.pow(0.5, (time - last) / INTEREST_HALF_LIFE_MS);
      for (let k = 0; k < CATEGORY_SLOTS; k++) f[i * F_FIELDS + F_CAT_W + k]! *= decay;
      d[i * D_FIELDS + D_LAST] = time;
    }
    if (time < d[i * D_FIELDS + D_START]!) d[i * D_FIELDS + D_START] = time;
    this.u32[c]![i * U_FIELDS + U_EVENTS]!++;
  }

  /** The session's record id in the session index, if it has one. */
  indexRecord(slot: number): number | undefined {
    const v = this.u32[slot >>> CHUNK_BITS]![(slot & MASK) * U_FIELDS + U_INDEX_RECORD]!;
    return v === 0 ? undefined : v - 1;
  }

  setIndexRecord(slot: number, record: number): void {
    this.u32[slot >>> CHUNK_BITS]![(slot & MASK) * U_FIELDS + U_INDEX_RECORD] = record + 1;
  }

  pushItem(slot: number, item: number): void {
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const base = (slot & MASK) * U_FIELDS;
    const n = u[base + U_ITEM_PUSHES]!;
    u[base + U_ITEMS + (n % RECENT_ITEMS)] = item + 1;
    u[base + U_ITEM_PUSHES] = n + 1;
  }

  /** Most recent items first, at most `limit`. */
  recentItems(slot: number, limit = RECENT_ITEMS): number[] {
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const base = (slot & MASK) * U_FIELDS;
    const n = u[base + U_ITEM_PUSHES]!;
    const out: number[] = [];
    for (let k = 1; k <= Math.min(n, RECENT_ITEMS, limit); k++) out.push(u[base + U_ITEMS + ((n - k) % RECENT_ITEMS)]! - 1);
    return out;
  }

  addToCart(slot: number, item: number): void {
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const base = (slot & MASK) * U_FIELDS + U_CART;
    let empty = -1;
    for (let k = 0; k < CART_ITEMS; k++) {
      const v = u[base + k]!;
      if (v === item + 1) return;
      if (v === 0 && empty < 0) empty = k;
    }
    if (empty < 0) {
      // Full: the oldest entry (slot 0) leaves, the rest shift down.
      u.copyWithin(base, base + 1, base + CART_ITEMS);
      empty = CART_ITEMS - 1;
    }
    u[base + empty] = item + 1;
  }

  removeFromCart(slot: number, item: number): void {
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const base = (slot & MASK) * U_FIELDS + U_CART;
    for (let k = 0; k < CART_ITEMS; k++) if (u[base + k] === item + 1) u[base + k] = 0;
  }

  cart(slot: number): number[] {
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const base = (slot & MASK) * U_FIELDS + U_CART;
    const out: number[] = [];
    for (let k = 0; k < CART_ITEMS; k++) if (u[base + k]! > 0) out.push(u[base + k]! - 1);
    return out;
  }

  clearCart(slot: number): void {
    const base = (slot & MASK) * U_FIELDS + U_CART;
    this.u32[slot >>> CHUNK_BITS]!.fill(0, base, base + CART_ITEMS);
  }

  addDwell(slot: number, ms: number): void {
    const u = this.u32[slot >>> CHUNK_BITS]!;
    const at = (slot & MASK) * U_FIELDS + U_DWELL;
    u[at] = Math.min(0xffffffff, u[at]! + ms);
  }

  /** The session's latest event named its device. */
  observeDevice(slot: number, code: number): void {
    this.u32[slot >>> CHUNK_BITS]![(slot & MASK) * U_FIELDS + U_DEVICE] = code;
  }

  observeScroll(slot: number, depth: number): void {
    const f = this.f32[slot >>> CHUNK_BITS]!;
    const at = (slot & MASK) * F_FIELDS + F_SCROLL;
    if (depth > f[at]!) f[at] = depth;
  }

  observePrice(slot: number, price: number): void {
    const f = this.f32[slot >>> CHUNK_BITS]!;
    const base = (slot & MASK) * F_FIELDS;
    if (!(price >= f[base + F_PRICE_MIN]!)) f[base + F_PRICE_MIN] = price;
    if (!(price <= f[base + F_PRICE_MAX]!)) f[base + F_PRICE_MAX] = price;
  }

  /** Adds `weight` of interest in a category; a new category replaces the weakest slot. */
  addInterest(slot: number, category: number, weight: number): void {
    const c = slot >>> CHUNK_BITS;
    const u = this.u32[c]!;
    const f = this.f32[c]!;
    const ub = (slot & MASK) * U_FIELDS + U_CATS;
    const fb = (slot & MASK) * F_FIELDS + F_CAT_W;
    let empty = -1;
    let weakest = 0;
    for (let k = 0; k < CATEGORY_SLOTS; k++) {
      const held = u[ub + k]!;
      if (held === category + 1) {
        f[fb + k]! += weight;
        return;
      }
      if (held === 0) {
        if (empty < 0) empty = k;
      } else if (f[fb + k]! < f[fb + weakest]!) {
        weakest = k;
      }
    }
    if (empty >= 0) weakest = empty;
    u[ub + weakest] = category + 1;
    f[fb + weakest] = weight;
  }

  view(slot: number): SessionView {
    const c = slot >>> CHUNK_BITS;
    const i = slot & MASK;
    const u = this.u32[c]!;
    const d = this.f64[c]!;
    const f = this.f32[c]!;
    const interests: SessionView['interests'] = [];
    for (let k = 0; k < CATEGORY_SLOTS; k++) {
      const cat = u[i * U_FIELDS + U_CATS + k]!;
      if (cat > 0) interests.push({ category: cat - 1, weight: f[i * F_FIELDS + F_CAT_W + k]! });
    }
    interests.sort((a, b) => b.weight - a.weight);
    const priceMin = f[i * F_FIELDS + F_PRICE_MIN]!;
    const priceMax = f[i * F_FIELDS + F_PRICE_MAX]!;
    return {
      seq: u[i * U_FIELDS + U_SEQ]!,
      startTime: d[i * D_FIELDS + D_START]!,
      lastTime: d[i * D_FIELDS + D_LAST]!,
      events: u[i * U_FIELDS + U_EVENTS]!,
      dwellMs: u[i * U_FIELDS + U_DWELL]!,
      maxScroll: f[i * F_FIELDS + F_SCROLL]!,
      priceMin: Number.isNaN(priceMin) ? undefined : priceMin,
      priceMax: Number.isNaN(priceMax) ? undefined : priceMax,
      device: u[i * U_FIELDS + U_DEVICE]!,
      recentItems: this.recentItems(slot),
      cart: this.cart(slot),
      interests,
      indexRecord: this.indexRecord(slot),
      ignored: this.ignoredAt(slot),
    };
  }

  private grow(): number {
    if ((this.slots & MASK) === 0) {
      this.u32.push(new Uint32Array(CHUNK * U_FIELDS));
      this.f64.push(new Float64Array(CHUNK * D_FIELDS));
      this.f32.push(new Float32Array(CHUNK * F_FIELDS));
    }
    return this.slots++;
  }

  snapshot(): SessionTableSnapshot {
    return {
      index: this.index.snapshot(),
      u32: this.u32,
      f64: this.f64,
      f32: this.f32,
      free: this.free,
      slots: this.slots,
      ignored: this.ignored,
    };
  }

  static restore(s: SessionTableSnapshot): SessionTable {
    const t = new SessionTable();
    t.index = HashTable52.restore(s.index);
    t.u32 = s.u32.map(withDeviceField);
    t.f64 = s.f64;
    t.f32 = s.f32;
    t.free = s.free;
    t.slots = s.slots;
    t.ignored = s.ignored ?? new Map();
    return t;
  }
}

/** A checkpoint's Uint32 chunk in the current layout: one written before the device was kept gets the field, empty. */
function withDeviceField(chunk: Uint32Array): Uint32Array {
  if (chunk.length === CHUNK * U_FIELDS) return chunk;
  if (chunk.length !== CHUNK * U_FIELDS_WITHOUT_DEVICE) throw new Error(`session table chunk of ${chunk.length} words: not a layout this version reads`);
  const out = new Uint32Array(CHUNK * U_FIELDS);
  for (let i = 0; i < CHUNK; i++) out.set(chunk.subarray(i * U_FIELDS_WITHOUT_DEVICE, (i + 1) * U_FIELDS_WITHOUT_DEVICE), i * U_FIELDS);
  return out;
}
