/**
 * The ranker's scoring loop as a small WebAssembly module with 128-bit SIMD, generated for one
 * compiled model. The JavaScript loop (gbdt.ts) spent 32-43 µs a request on 50 candidates x 100
 * trees, most of it bounds-checked loads: here four trees' mask words are ANDed per instruction
 * and each feature's bin search is unrolled with the model's constants. Same arithmetic, same
 * order of additions: the scores are bit-identical (gbdt.test.ts checks against the trees).
 *
 * The generated function, score(count), per row r of the rows area:
 *   o[g] = first mask-table byte of group g;  for each feature i, unrolled:
 *     x = row[column i]; bin = 0; for step = half..1: bin += step if !(x <= thresholds_i[bin + step - 1])
 *     o[group i] += min(bin, binLimit_i) * strideBytes_i
 *   acc = baseScore;  for each 4 slots s: m = AND over g of v128(masks at o[g] + s)
 *     acc += value[(s + lane) * 32 + ctz(m[lane])] for lane 0..3, in order
 *   out[r] = acc
 * Memory (one instance, never grown): mask table | leaf values | thresholds | rows | out.
 */

import type { CompiledModel } from './gbdt.ts';

/** Rows scored per call; a request's candidates (50 for the default model) fit one. */
const CHUNK_ROWS = 64;
const PAGE = 65536;
/** Mask words a SIMD instruction ANDs: the compiled model pads its table rows to a multiple of this. */
export const LANES = 4;
/** Leaves per mask word: a tree of depth 5 or less fits one word (slot); a deeper tree takes several. */
export const SLOT_LEAVES = 32;

/** The part of the WebAssembly JavaScript API used here: TypeScript declares it with the DOM library, which this Node project does not load. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
/** False under `node --jitless`, which turns WebAssembly off: the JavaScript loop scores then. */
export const hasWebAssembly = wasm !== undefined;

/** What the generator reads of a compiled model. */
type ScorerLayout = Pick<CompiledModel, 'baseScore' | 'rowWidth' | 'features' | 'thresholds' | 'searchSize' | 'binLimit' | 'group' | 'stride' | 'groupBase' | 'masks' | 'value'>;

export interface SimdScorer {
  /** Row width the module was generated for. */
  width: number;
  /** The mask table inside the module's memory (the compiled model keeps this view, not a copy). */
  masks: Int32Array;
  score(rows: Float64Array, count: number, out: Float64Array): void;
}

/** The scorer for a model whose trees each fit one mask word (all `groups` feature groups ANDed in one pass), or undefined where WebAssembly SIMD is not available. */
export function simdScorer(layout: ScorerLayout, groups: number, width: number): SimdScorer | undefined {
  const maskBytes = layout.masks.length * 4;
  const valuesAt = maskBytes;
  const thresholdsAt = valuesAt + layout.rowWidth * SLOT_LEAVES * 8;
  const rowsAt = thresholdsAt + layout.thresholds.length * 8;
  const outAt = rowsAt + CHUNK_ROWS * width * 8;
  const pages = Math.ceil((outAt + CHUNK_ROWS * 8) / PAGE);
  const bytes = moduleBytes(layout, groups, width, { valuesAt, thresholdsAt, rowsAt, outAt, pages });
  if (wasm === undefined || !wasm.validate(bytes)) return undefined;
  const memory = new wasm.Memory({ initial: pages, maximum: pages });
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
  const run = instance.exports.score as (count: number) => void;
  const masks = new Int32Array(memory.buffer, 0, layout.masks.length);
  masks.set(layout.masks);
  const values = new Float64Array(memory.buffer, valuesAt, layout.rowWidth * SLOT_LEAVES);
  // Padding words are all ones, so their leaf is bit 0: -0 adds nothing to any sum, even to -0.
  values.fill(-0);
  values.set(layout.value);
  new Float64Array(memory.buffer, thresholdsAt, layout.thresholds.length).set(layout.thresholds);
  const rowArea = new Float64Array(memory.buffer, rowsAt, CHUNK_ROWS * width);
  const outArea = new Float64Array(memory.buffer, outAt, CHUNK_ROWS);
  return {
    width,
    masks,
    score(rows, count, out) {
      for (let from = 0; from < count; from += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, count - from);
        rowArea.set(rows.subarray(from * width, (from + n) * width));
        run(n);
        out.set(outArea.subarray(0, n), from);
      }
    },
  };
}

// Opcodes (WebAssembly core 2.0; SIMD ones follow the 0xfd prefix).
const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  f64Load: 0x2b, f64Store: 0x39, i32Const: 0x41, f64Const: 0x44,
  i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f, f64Le: 0x65,
  i32Ctz: 0x68, i32Add: 0x6a, i32Mul: 0x6c, i32Shl: 0x74, f64Add: 0xa0,
  simd: 0xfd, v128Load: 0x00, i32x4ExtractLane: 0x1b, v128And: 0x4e,
} as const;
const TYPE = { i32: 0x7f, f64: 0x7c, v128: 0x7b, func: 0x60, void: 0x40 } as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const name = (text: string): number[] => [...uleb(text.length), ...new TextEncoder().encode(text)];
const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];

interface Addresses {
  valuesAt: number;
  thresholdsAt: number;
  rowsAt: number;
  outAt: number;
  pages: number;
}

function moduleBytes(layout: ScorerLayout, groups: number, width: number, at: Addresses): Uint8Array {
  // Locals: 0 count (the parameter); i32: 1 r, 2 rowPtr, 3 outPtr, 4 bin, 5 s, 6 valuePtr, 7.. o[g]; then f64 acc, f64 x, v128 m.
  const R = 1, ROW = 2, OUT = 3, BIN = 4, S = 5, VALUE = 6, O = 7;
  const ACC = O + groups, X = ACC + 1, M = X + 1;
  const code: number[] = [];
  const emit = (...parts: Array<number | number[]>): void => {
    for (const part of parts) {
      if (typeof part === 'number') code.push(part);
      else code.push(...part);
    }
  };
  const get = (local: number) => [OP.localGet, ...uleb(local)];
  const set = (local: number) => [OP.localSet, ...uleb(local)];
  const i32 = (value: number) => [OP.i32Const, ...sleb(value)];
  const f64 = (value: number) => [OP.f64Const, ...new Uint8Array(Float64Array.of(value).buffer)];

  emit(i32(at.rowsAt), set(ROW), i32(at.outAt), set(OUT));
  emit(OP.block, TYPE.void, OP.loop, TYPE.void);
  emit(get(R), get(0), OP.i32GeU, OP.brIf, 1);
  for (let g = 0; g < groups; g++) emit(i32(layout.groupBase[g]! * 4), set(O + g));
  for (let i = 0; i < layout.features.length; i++) {
    emit(get(ROW), OP.f64Load, memarg(3, layout.features[i]! * 8), set(X), i32(0), set(BIN));
    for (let step = (layout.searchSize + 1) >> 1; step > 0; step >>= 1) {
      // bin += !(x <= thresholds[i][bin + step - 1]) ? step : 0
      const threshold = at.thresholdsAt + (i * layout.searchSize + step - 1) * 8;
      emit(get(BIN), i32(step), i32(0), get(X), get(BIN), i32(3), OP.i32Shl, OP.f64Load, memarg(3, threshold), OP.f64Le, OP.i32Eqz, OP.select, OP.i32Add, set(BIN));
    }
    const limit = layout.binLimit[i]!;
    const g = O + layout.group[i]!;
    emit(get(g), get(BIN), i32(limit), get(BIN), i32(limit), OP.i32LtU, OP.select, i32(layout.stride[i]! * 4), OP.i32Mul, OP.i32Add, set(g));
  }
  emit(f64(layout.baseScore), set(ACC), i32(0), set(S), i32(at.valuesAt), set(VALUE));
  emit(OP.loop, TYPE.void);
  for (let g = 0; g < groups; g++) {
    emit(get(O + g), get(S), OP.i32Add, OP.simd, ...uleb(OP.v128Load), memarg(2, 0));
    if (g > 0) emit(OP.simd, ...uleb(OP.v128And));
  }
  emit(set(M));
  for (let lane = 0; lane < LANES; lane++) {
    // acc += value[(s + lane) * 32 + ctz(m[lane])]
    emit(get(ACC), get(VALUE), get(M), OP.simd, ...uleb(OP.i32x4ExtractLane), lane, OP.i32Ctz, i32(3), OP.i32Shl, OP.i32Add);
    emit(OP.f64Load, memarg(3, lane * SLOT_LEAVES * 8), OP.f64Add, set(ACC));
  }
  emit(get(S), i32(LANES * 4), OP.i32Add, OP.localTee, ...uleb(S), get(VALUE), i32(LANES * SLOT_LEAVES * 8), OP.i32Add, set(VALUE));
  emit(i32(layout.rowWidth * 4), OP.i32LtU, OP.brIf, 0, OP.end);
  emit(get(OUT), get(ACC), OP.f64Store, memarg(3, 0));
  emit(get(R), i32(1), OP.i32Add, set(R), get(ROW), i32(width * 8), OP.i32Add, set(ROW), get(OUT), i32(8), OP.i32Add, set(OUT));
  emit(OP.br, 0, OP.end, OP.end, OP.end);

  const locals = vector([[...uleb(O - 1 + groups), TYPE.i32], [2, TYPE.f64], [1, TYPE.v128]]);
  const body = [...locals, ...code];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[TYPE.func, ...vector([[TYPE.i32]]), 0]])),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x01, ...uleb(at.pages), ...uleb(at.pages)]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('score'), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}
