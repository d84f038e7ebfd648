/**
 * The JavaScript side of the session-kNN kernel (knn-kernel.as.ts, built into
 * dist/knn-kernel.wasm by `npm run build`): one WebAssembly instance per SessionKnn, its memory
 * laid out in regions sized to what requests have needed so far, and typed-array views on them.
 *
 * Regions come in two parts. The front holds a request's inputs and neighbours and is sized when
 * the request starts; the back holds the item table and its ranking, whose size is known only
 * once the neighbours' sessions are copied. Growing the back never moves the front, so it can
 * happen mid-request; both only grow (doubling), and each request leaves them empty.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGE = 65536;
const KERNEL_FILE = 'src/recommend/kernel/dist/knn-kernel.wasm';

interface KernelExports {
  [global: string]: { value: number } | unknown;
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

/** The directory of package.json above this file: the repository root from src/, dist/ and the benchmarks' bundles alike. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('knn kernel: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function kernelModule(): object {
  if (compiled) return compiled;
  if (!wasm) throw new Error('the session-kNN engine needs WebAssembly (node was started with --jitless?)');
  const path = join(packageRoot(), KERNEL_FILE);
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

/** The item table's first size: a request that asks about candidates probes it even with no items scored. */
const MIN_ITEM_SLOTS = 1024;
const nextPowerOfTwo = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

export class KnnKernel {
  private readonly memory: InstanceType<WasmApi['Memory']>;
  private readonly exports: KernelExports;
  private front: Front = { maxItem: 0, listIds: 0, lists: 0, neighbours: 0, sequenceStride: 0, extras: 0, asked: 0, memberWords: 0, similaritySlots: 0 };
  /** Slots of the item table (a power of two). */
  private itemCapacity = 0;
  private i32 = new Int32Array(0);
  private f64 = new Float64Array(0);
  // Views the engine reads and writes (valid until the next ensure call).
  members = new Int32Array(0);
  lists = new Int32Array(0);
  listLengths = new Int32Array(0);
  listWeights = new Float64Array(0);
  neighbourIds = new Int32Array(0);
  neighbourScores = new Float64Array(0);
  sequences = new Int32Array(0);
  sequenceLengths = new Int32Array(0);
  extraItems = new Int32Array(0);
  extraScores = new Float64Array(0);
  askedItems = new Int32Array(0);
  answerKnn = new Float64Array(0);
  answerAdds = new Int32Array(0);
  rankItems = new Int32Array(0);
  rankScores = new Float64Array(0);
  itemFactors = new Float64Array(0);
  private itemKeys = new Int32Array(0);
  private itemSlots = new Int32Array(0);

  constructor(private readonly distanceWeights: Float64Array) {
    this.memory = new wasm!.Memory({ initial: 1 });
    this.exports = new wasm!.Instance(kernelModule(), { env: { memory: this.memory } }).exports as KernelExports;
    this.ensureItems(0);
  }

  /** Makes room for a request's inputs (the item table may be grown later by ensureItems). */
  ensureFront(needs: FrontNeeds): void {
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
      similaritySlots: nextPowerOfTwo(2 * listIds),
    };
    this.front.memberWords = (this.front.maxItem >>> 5) + 1;
    this.layout();
    // Moved regions lie over what others held: the tables' keys and the membership bits must start empty.
    this.i32.fill(0);
    this.f64.subarray(this.global('distanceWeights') >> 3).set(this.distanceWeights);
  }

  /** Makes room in the item table for `entries` items (the front's contents stay where they are). */
  ensureItems(entries: number): void {
    const slots = nextPowerOfTwo(Math.max(MIN_ITEM_SLOTS, 2 * entries));
    if (slots <= this.itemCapacity) return;
    this.itemCapacity = slots;
    this.layout();
    this.itemKeys.fill(0);
  }

  /** Items in the item table, in the order they were first scored. */
  get itemCount(): number {
    return this.exports.itemCount();
  }

  /** The t-th item scored (t < itemCount). */
  itemAt(t: number): number {
    return this.itemKeys[this.itemSlots[t]!]! - 1;
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

  clearItems(): void {
    this.exports.clearItems();
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
    let end = 0;
    const region = (name: string, bytes: number) => {
      this.setGlobal(name, end);
      end += Math.ceil(bytes / 8) * 8;
    };
    region('members', f.memberWords * 4);
    region('distanceWeights', this.distanceWeights.length * 8);
    region('lists', f.listIds * 4);
    region('listLengths', f.lists * 4);
    region('listWeights', f.lists * 8);
    region('similarityKeys', f.similaritySlots * 4);
    region('similarityScores', f.similaritySlots * 8);
    region('similaritySlots', f.similaritySlots * 2);
    region('neighbourIds', f.neighbours * 4);
    region('neighbourScores', f.neighbours * 8);
    region('sequences', f.neighbours * f.sequenceStride * 4);
    region('sequenceLengths', f.neighbours * 4);
    region('extraItems', f.extras * 4);
    region('extraScores', f.extras * 8);
    region('askedItems', f.asked * 4);
    region('answerKnn', f.asked * 8);
    region('answerAdds', f.asked * 4);
    // The back: the item table, its factors and its ranking (at most half the slots are used).
    const slots = this.itemCapacity;
    region('itemKeys', slots * 4);
    region('itemKnn', slots * 8);
    region('itemAdds', slots * 4);
    region('itemBlended', slots * 8);
    region('itemSlots', slots * 2);
    region('itemFactors', slots * 4);
    region('rankItems', slots * 2);
    region('rankScores', slots * 4);
    this.setGlobal('similarityBits', Math.log2(f.similaritySlots));
    this.setGlobal('itemBits', Math.log2(Math.max(2, slots)));
    this.setGlobal('memberWords', f.memberWords);
    this.setGlobal('sequenceStride', f.sequenceStride);

    const pages = Math.ceil(end / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.i32 = new Int32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    const ints = (name: string, length: number) => this.i32.subarray(this.global(name) >> 2, (this.global(name) >> 2) + length);
    const doubles = (name: string, length: number) => this.f64.subarray(this.global(name) >> 3, (this.global(name) >> 3) + length);
    this.members = ints('members', f.memberWords);
    this.lists = ints('lists', f.listIds);
    this.listLengths = ints('listLengths', f.lists);
    this.listWeights = doubles('listWeights', f.lists);
    this.neighbourIds = ints('neighbourIds', f.neighbours);
    this.neighbourScores = doubles('neighbourScores', f.neighbours);
    this.sequences = ints('sequences', f.neighbours * f.sequenceStride);
    this.sequenceLengths = ints('sequenceLengths', f.neighbours);
    this.extraItems = ints('extraItems', f.extras);
    this.extraScores = doubles('extraScores', f.extras);
    this.askedItems = ints('askedItems', f.asked);
    this.answerKnn = doubles('answerKnn', f.asked);
    this.answerAdds = ints('answerAdds', f.asked);
    this.itemKeys = ints('itemKeys', slots);
    this.itemSlots = ints('itemSlots', slots / 2);
    this.itemFactors = doubles('itemFactors', slots / 2);
    this.rankItems = ints('rankItems', slots / 2);
    this.rankScores = doubles('rankScores', slots / 2);
  }
}
