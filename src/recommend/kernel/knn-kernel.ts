/**
 * The JavaScript side of the session-kNN kernel (knn-kernel.as.ts, built into
 * dist/knn-kernel.wasm by `npm run build`): one WebAssembly instance per SessionKnn, its memory
 * laid out in regions sized to what requests have needed so far, and typed-array views on them.
 *
 * Regions come in two parts. The front holds a request's inputs and neighbours and is sized when
 * the request starts; the back holds the item table and its ranking, whose size is known only
 * once the neighbours' sessions are copied. Growing the back never moves the front, so it can
 * happen mid-request; both only grow (doubling), and each request leaves them empty (one that
 * throws, the next one empties them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../package-root.ts';

const PAGE = 65536;
const KERNEL_FILE = 'src/recommend/kernel/dist/knn-kernel.wasm';

interface KernelExports {
  [global: string]: { value: number } | unknown;
  similarityBits: { value: number };
  itemBits: { value: number };
  itemCount(): number;
  similarity(listCount: number, own: number, oldest: number, k: number): number;
  scoreNeighbours(count: number): number;
  blend(byFactors: number, extras: number): number;
  rankBlended(want: number): number;
  describe(count: number): void;
  clearItems(): void;
}

/** The part of the WebAssembly JavaScript API used here (TypeScript declares it with the DOM library only). */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | undefined;

function kernelModule(): object {
  if (compiled) return compiled;
  if (!wasm) throw new Error('the session-kNN engine needs WebAssembly (node was started with --jitless?)');
  const path = join(PACKAGE_ROOT, KERNEL_FILE);
  if (!existsSync(path)) throw new Error(`${KERNEL_FILE} is not built; run npm run build`);
  compiled = new wasm.Module(readFileSync(path));
  return compiled;
}

/** What the front must hold for one request. */
export interface FrontNeeds {
  /** Largest item id the session holds (for the membership bits). */
  maxItem: number;
  /** Session ids over all lists. */
  listIds: number;
  lists: number;
  neighbours: number;
  /** Items a neighbour sequence holds at most. */
  sequenceStride: number;
  extras: number;
  asked: number;
}

type Front = FrontNeeds & { memberWords: number; similaritySlots: number };

/** Each region's global (its offset), element type and length, in memory order: the front, then the back. */
function regions(f: Front, itemSlots: number, distances: number) {
  return [
    ['members', 'i32', f.memberWords],
    ['distanceWeights', 'f64', distances],
    ['lists', 'i32', f.listIds],
    ['listLengths', 'i32', f.lists],
    ['listWeights', 'f64', f.lists],
    ['similarityKeys', 'i32', f.similaritySlots],
    ['similarityScores', 'f64', f.similaritySlots],
    ['similaritySlots', 'i32', f.similaritySlots / 2],
    ['neighbourIds', 'i32', f.neighbours],
    ['neighbourScores', 'f64', f.neighbours],
    ['sequences', 'i32', f.neighbours * f.sequenceStride],
    ['sequenceLengths', 'i32', f.neighbours],
    ['extraItems', 'i32', f.extras],
    ['extraScores', 'f64', f.extras],
    ['askedItems', 'i32', f.asked],
    ['answerKnn', 'f64', f.asked],
    ['answerAdds', 'i32', f.asked],
    // The back: the item table, its factors and its ranking (at most half the slots are used).
    ['itemKeys', 'i32', itemSlots],
    ['itemKnn', 'f64', itemSlots],
    ['itemAdds', 'i32', itemSlots],
    ['itemBlended', 'f64', itemSlots],
    ['itemSlots', 'i32', itemSlots / 2],
    ['itemFactors', 'f64', itemSlots / 2],
    ['rankItems', 'i32', itemSlots / 2],
    ['rankScores', 'f64', itemSlots / 2],
  ] as const;
}
type Region = ReturnType<typeof regions>[number];
export type KernelViews = { [R in Region as R[0]]: R[1] extends 'i32' ? Int32Array : Float64Array };

/** The item table's least size, also the least a request uses: a request that asks about candidates probes it even with no items scored. */
const MIN_ITEM_SLOTS = 1024;
/** log2 of the slots (a power of two) a table needs for `entries` (at most half full), at least `min` slots. */
const tableBits = (entries: number, min: number) => Math.ceil(Math.log2(Math.max(min, 2 * entries)));

export class KnnKernel {
  private readonly memory: InstanceType<WasmApi['Memory']>;
  private readonly exports: KernelExports;
  private front: Front = { maxItem: 0, listIds: 0, lists: 0, neighbours: 0, sequenceStride: 0, extras: 0, asked: 0, memberWords: 0, similaritySlots: 0 };
  /** Between begin and finish: a request under way, or one that threw. */
  private busy = false;
  /** Slots of the item table (a power of two). */
  private itemCapacity = 0;
  private i32 = new Int32Array(0);
  private f64 = new Float64Array(0);
  /** Views of the regions the engine reads and writes (valid until the next ensure call). */
  views = {} as KernelViews;

  constructor(private readonly distanceWeights: Float64Array) {
    this.memory = new wasm!.Memory({ initial: 1 });
    this.exports = new wasm!.Instance(kernelModule(), { env: { memory: this.memory } }).exports as KernelExports;
    this.ensureItems(0);
  }

  /**
   * Makes room for a request's inputs (the item table may be grown later by ensureItems). The
   * tables only grow, but each request hashes into as few of their slots as it needs: the slots
   * of a small request share cache lines instead of lying one a line over a table sized for the
   * largest request so far.
   */
  ensureFront(needs: FrontNeeds): void {
    this.growFront(needs);
    this.exports.similarityBits.value = tableBits(needs.listIds, 2);
  }

  private growFront(needs: FrontNeeds): void {
    const f = this.front;
    if (needs.maxItem <= f.maxItem && needs.listIds <= f.listIds && needs.lists <= f.lists && needs.neighbours <= f.neighbours && needs.sequenceStride <= f.sequenceStride && needs.extras <= f.extras && needs.asked <= f.asked) return;
    const grown = (need: number, have: number) => (need <= have ? have : Math.max(need, 2 * have));
    const listIds = grown(needs.listIds, f.listIds);
    this.front = {
      maxItem: grown(needs.maxItem, f.maxItem),
      listIds,
      lists: grown(needs.lists, f.lists),
      neighbours: grown(needs.neighbours, f.neighbours),
      sequenceStride: Math.max(needs.sequenceStride, f.sequenceStride),
      extras: grown(needs.extras, f.extras),
      asked: grown(needs.asked, f.asked),
      memberWords: 0,
      similaritySlots: 2 ** tableBits(listIds, 2),
    };
    this.front.memberWords = (this.front.maxItem >>> 5) + 1;
    this.layout();
    // Moved regions lie over what others held: the tables' keys and the membership bits must start empty.
    this.i32.fill(0);
    this.views.distanceWeights.set(this.distanceWeights);
  }

  /** Makes room in the item table for `entries` items (the front's contents stay where they are) and has the request use that many slots. */
  ensureItems(entries: number): void {
    const bits = tableBits(entries, MIN_ITEM_SLOTS);
    if (2 ** bits > this.itemCapacity) {
      this.itemCapacity = 2 ** bits;
      this.layout();
      this.views.itemKeys.fill(0);
    }
    this.exports.itemBits.value = bits;
  }

  /** Items in the item table, in the order they were first scored. */
  get itemCount(): number {
    return this.exports.itemCount();
  }

  /**
   * Starts a request: sets the membership bits of the session's items (none above the front's
   * maxItem). A request that did not finish (a rule that threw) left its bits and items behind:
   * they are cleared first.
   */
  begin(sessionItems: readonly number[]): void {
    const { members } = this.views;
    if (this.busy) {
      members.fill(0);
      this.exports.clearItems();
    }
    this.busy = true;
    for (const item of sessionItems) members[item >>> 5]! |= 1 << (item & 31);
  }

  /** Ends a request: clears the session's membership bits (their words: only they set bits) and the item table. */
  finish(sessionItems: readonly number[]): void {
    const { members } = this.views;
    for (const item of sessionItems) members[item >>> 5] = 0;
    this.exports.clearItems();
    this.busy = false;
  }

  similarity(listCount: number, own: number, oldest: number, k: number): number {
    return this.exports.similarity(listCount, own, oldest, k);
  }

  /** Scores the neighbours' items; returns how many items were scored. */
  scoreNeighbours(count: number): number {
    return this.exports.scoreNeighbours(count);
  }

  blend(byFactors: boolean, extras: number): number {
    return this.exports.blend(byFactors ? 1 : 0, extras);
  }

  rankBlended(want: number): number {
    return this.exports.rankBlended(want);
  }

  describe(count: number): void {
    this.exports.describe(count);
  }


  private global(name: string): number {
    return (this.exports[name] as { value: number }).value;
  }

  private setGlobal(name: string, value: number): void {
    (this.exports[name] as { value: number }).value = value;
  }

  /** Places every region (8-byte aligned), grows the memory to hold them and renews the views. */
  private layout(): void {
    const f = this.front;
    const placed = regions(f, this.itemCapacity, this.distanceWeights.length);
    let end = 0;
    const offsets = placed.map(([name, type, length]) => {
      const at = end;
      this.setGlobal(name, at);
      end += Math.ceil((length * (type === 'i32' ? 4 : 8)) / 8) * 8;
      return at;
    });
    this.setGlobal('memberWords', f.memberWords);
    this.setGlobal('sequenceStride', f.sequenceStride);

    const pages = Math.ceil(end / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.i32 = new Int32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    const views: Record<string, Int32Array | Float64Array> = {};
    placed.forEach(([name, type, length], r) => {
      views[name] = type === 'i32' ? this.i32.subarray(offsets[r]! >> 2, (offsets[r]! >> 2) + length) : this.f64.subarray(offsets[r]! >> 3, (offsets[r]! >> 3) + length);
    });
    this.views = views as KernelViews;
  }
}
