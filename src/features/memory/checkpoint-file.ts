/**
 * The checkpoint file, taken without holding the event loop. `v8.serialize` of the whole state
 * held it for 130-190 ms with Diginetica loaded (126 MB, nearly all of it typed arrays), and
 * packing the snapshot for another 50-190: every request waited that long once a checkpoint
 * interval. Copying the arrays out in slices instead did not help much: 126 MB of fresh buffers
 * set off garbage collections for "external memory pressure", 5-25 ms each. So the state is kept
 * still (the store, memory-store.ts, applies no events meanwhile) while the snapshot is built by
 * steps (generators that yield every 1,024 items, run in slices of about SLICE_MS with
 * the event loop free between them), the structured clone serializer writes the object graph
 * with each typed array as a reference, and the file write sends the arrays' bytes straight from
 * the state, off the event loop. Events wait until the bytes are written, not for the fsync.
 *
 * Layout: MAGIC (8 bytes), the header's length (u32 LE) and 4 zero bytes, the header (v8
 * serializer output), zero padding to a multiple of 8, then the arrays' bytes, each starting at a
 * multiple of 8 from there. Files written before (one `v8.serialize` of the whole) still read.
 */
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Deserializer, deserialize, Serializer } from 'node:v8';

const MAGIC = Buffer.from('SWCKPT\u0000\u0002', 'latin1');
const PREFIX = 16;
const ALIGN = 8;
/** How long checkpoint work runs before the event loop gets a turn: well inside the 8 ms p99 budget. */
const SLICE_MS = 2;

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
type TypedArrayConstructor = new (length: number) => TypedArray;

/** Type codes in the header: positions in this list, which only ever grows at its end. */
const ARRAY_TYPES: ReadonlyArray<[string, TypedArrayConstructor]> = [
  ['Int8Array', Int8Array],
  ['Uint8Array', Uint8Array],
  ['Uint8ClampedArray', Uint8ClampedArray],
  ['Int16Array', Int16Array],
  ['Uint16Array', Uint16Array],
  ['Int32Array', Int32Array],
  ['Uint32Array', Uint32Array],
  ['Float32Array', Float32Array],
  ['Float64Array', Float64Array],
  ['BigInt64Array', BigInt64Array],
  ['BigUint64Array', BigUint64Array],
];
const TYPE_CODE = new Map(ARRAY_TYPES.map(([name], code) => [name, code]));

const aligned = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Items (tables, posting lists) a snapshot step packs between yields: well under a millisecond. */
export const STEP_ITEMS = 1024;

/**
 * An array a snapshot packs into, kept from one checkpoint to the next: tens of megabytes of
 * fresh arrays per checkpoint set off garbage collections (external memory pressure) that held
 * the event loop 20-30 ms at a time. A snapshot's packed arrays are therefore valid until the
 * next snapshot, and whoever packs into one writes every element of what it takes.
 */
export class PackingArray {
  private array = new Int32Array(0);

  take(length: number): Int32Array {
    if (length > this.array.length) this.array = new Int32Array(Math.ceil(length * 1.25));
    return this.array.subarray(0, length);
  }
}

/** Work that yields (undefined) wherever it may be interrupted, and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs steps to the end at once. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs steps to the end in slices of about `sliceMs`, giving the event loop a turn between slices. */
export async function runInSlices<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart < sliceMs) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  }
}

/** Writes the object graph, typed arrays as (type, length, offset) references collected for the array section. */
class HeaderSerializer extends Serializer {
  readonly arrays: TypedArray[] = [];
  rawBytes = 0;
  // Node's Serializer has this (documented in node:v8) where its type declarations do not.
  declare _setTreatArrayBufferViewsAsHostObjects: (flag: boolean) => void;

  constructor() {
    super();
    this._setTreatArrayBufferViewsAsHostObjects(true);
  }

  _writeHostObject(view: object): void {
    const name = (view as { [Symbol.toStringTag]?: string })[Symbol.toStringTag];
    const code = name === undefined ? undefined : TYPE_CODE.get(name);
    if (code === undefined) throw new TypeError(`checkpoint: cannot encode ${name ?? 'this host object'} (typed arrays only)`);
    const array = view as TypedArray;
    this.writeUint32(code);
    this.writeUint32(array.length);
    this.writeDouble(this.rawBytes);
    this.arrays.push(array);
    this.rawBytes = aligned(this.rawBytes + array.byteLength);
  }
}

/** Reads the graph back, each typed array a copy of its bytes (the state outlives the file buffer). */
class HeaderDeserializer extends Deserializer {
  constructor(
    header: Buffer,
    private readonly raw: Buffer,
  ) {
    super(header);
  }

  _readHostObject(): TypedArray {
    const code = this.readUint32();
    const length = this.readUint32();
    const offset = this.readDouble();
    const type = ARRAY_TYPES[code];
    if (type === undefined) throw new Error(`checkpoint: unknown array type ${code}`);
    const array = new type[1](length);
    if (offset + array.byteLength > this.raw.length) throw new Error('checkpoint: truncated array section');
    new Uint8Array(array.buffer).set(this.raw.subarray(offset, offset + array.byteLength));
    return array;
  }
}

/**
 * Encodes `value` (plain data: objects, arrays, Maps, strings, numbers, typed arrays) for
 * writeAtomically. The graph is serialized at once; the arrays' bytes are views of `value`'s own
 * arrays, so `value` must stay unchanged until they are written.
 */
export function encodeCheckpoint(value: unknown): Uint8Array[] {
  const serializer = new HeaderSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  const header = serializer.releaseBuffer();
  const prefix = Buffer.alloc(PREFIX);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const chunks: Uint8Array[] = [prefix, header, padding(header.length)];
  for (const array of serializer.arrays) chunks.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), padding(array.byteLength));
  return chunks;
}

const ZEROS = new Uint8Array(ALIGN);
/** The zero bytes that align what follows `length` bytes. */
const padding = (length: number): Uint8Array => ZEROS.subarray(0, aligned(length) - length);

/** Decodes a checkpoint file's bytes, in this format or as one `v8.serialize` (files written before). */
export function decodeCheckpoint(bytes: Buffer): unknown {
  if (bytes.length < PREFIX || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return deserialize(bytes);
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const rawAt = PREFIX + aligned(headerLength);
  if (rawAt > bytes.length) throw new Error('checkpoint: truncated header');
  const deserializer = new HeaderDeserializer(bytes.subarray(PREFIX, PREFIX + headerLength), bytes.subarray(rawAt));
  deserializer.readHeader();
  return deserializer.readValue();
}

/**
 * Writes `chunks` as dir/checkpoint.bin atomically: a temporary file, synced, renamed over the
 * old one, and the directory synced, so a crash leaves the old file or the new one, whole.
 * `written` is called once the chunks' bytes are in the file, before the sync (and on failure).
 */
export async function writeAtomically(dir: string, chunks: readonly Uint8Array[], written: () => void = () => undefined): Promise<void> {
  const tmp = join(dir, 'checkpoint.tmp');
  let handle: FileHandle | undefined;
  try {
    try {
      await mkdir(dir, { recursive: true });
      handle = await open(tmp, 'w');
      await writeAll(handle, chunks);
    } finally {
      written();
    }
    await handle.sync();
  } finally {
    await handle?.close();
  }
  await rename(tmp, join(dir, 'checkpoint.bin'));
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** writev until every byte is written: one call may write less (Linux caps a write near 2 GiB). */
async function writeAll(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  const rest = chunks.filter((chunk) => chunk.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) bytesWritten -= rest.shift()!.length;
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}
