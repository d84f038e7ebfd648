/**
 * The catalog: items the shop sells (title, category, price, availability, attributes).
 * Recommendations use it for rules (availability) and display; the stream uses it to know an
 * item's category. Mirrored in memory for reads; stored in LMDB in DATA_DIR, or in Redis when the
 * roles run as separate processes.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { open, type RootDatabase } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const Attribute = Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]);

export const CatalogItemSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    title: Type.Optional(Type.String({ maxLength: 512 })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    price: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
    available: Type.Optional(Type.Boolean({ default: true })),
    imageUrl: Type.Optional(Type.String({ maxLength: 2048 })),
    attributes: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Attribute, { maxProperties: 64 })),
  },
  { additionalProperties: false },
);
export type CatalogItem = Static<typeof CatalogItemSchema>;

export const CatalogUpsertSchema = Type.Object({ items: Type.Array(CatalogItemSchema, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
const upsertCheck = TypeCompiler.Compile(CatalogUpsertSchema);

export class CatalogValidationError extends Error {}

/**
 * Where the catalog persists: LMDB in DATA_DIR for one process (below), Redis where servers and
 * processors run apart (redis-catalog.ts), so that one upsert reaches every process.
 */
export interface CatalogBacking {
  load(): Promise<CatalogItem[]>;
  /** Durable when the promise resolves. */
  save(items: CatalogItem[]): Promise<void>;
  /** Calls `onItems` with items other processes stored. */
  watch(onItems: (items: CatalogItem[]) => void): Promise<void>;
  close(): Promise<void>;
}

/** The embedded backing: one LMDB database; nothing to watch, this process is the only writer. */
export class LmdbCatalogBacking implements CatalogBacking {
  private readonly db: RootDatabase<CatalogItem, string>;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = open<CatalogItem, string>({ path: join(dir, 'catalog.lmdb') });
  }

  async load(): Promise<CatalogItem[]> {
    return this.loadNow();
  }

  /** LMDB reads are synchronous: the embedded system opens without waiting. */
  loadNow(): CatalogItem[] {
    return [...this.db.getRange()].map(({ value }) => value);
  }

  async save(items: CatalogItem[]): Promise<void> {
    for (const item of items) void this.db.put(item.id, item);
    await this.db.flushed;
  }

  async watch(): Promise<void> {}

  async close(): Promise<void> {
    await this.db.close();
  }
}

export class Catalog {
  private readonly items = new Map<string, CatalogItem>();
  /** Items marked unavailable: while none are, availability needs no lookup per candidate. */
  private unavailable = 0;

  /** backing undefined: in memory only (evaluation, tests). Use Catalog.open to load a backing. */
  constructor(private readonly backing?: CatalogBacking) {}

  /** The catalog of `backing`, loaded and following other processes' upserts. */
  static async open(backing: CatalogBacking): Promise<Catalog> {
    const catalog = new Catalog(backing);
    // Watch first, then load: an upsert landing in between is heard, never missed.
    await backing.watch((items) => catalog.remember(items));
    catalog.remember(await backing.load());
    return catalog;
  }

  /** The embedded catalog in `dir`, loaded at once. */
  static embedded(dir: string): Catalog {
    const backing = new LmdbCatalogBacking(dir);
    const catalog = new Catalog(backing);
    catalog.remember(backing.loadNow());
    return catalog;
  }

  get size(): number {
    return this.items.size;
  }

  get(id: string): CatalogItem | undefined {
    return this.items.get(id);
  }

  // Both bound, so that every request's rule context takes them as they are (no closure per request).
  categoryOf = (id: string): string | undefined => this.items.get(id)?.category;

  isAvailable = (id: string): boolean => this.unavailable === 0 || this.items.get(id)?.available !== false;

  /** Whether any item is marked unavailable. */
  get hasUnavailable(): boolean {
    return this.unavailable > 0;
  }

  /** Validates and stores a batch; durable when the promise resolves. */
  async upsert(body: unknown): Promise<number> {
    if (!upsertCheck.Check(body)) {
      const e = upsertCheck.Errors(body).First();
      throw new CatalogValidationError(e ? `${e.path || '/'}: ${e.message}` : 'body must be {"items": [...]}');
    }
    this.remember(body.items);
    await this.backing?.save(body.items);
    return body.items.length;
  }

  async close(): Promise<void> {
    await this.backing?.close();
  }

  private remember(items: Iterable<CatalogItem>): void {
    for (const item of items) {
      if (this.items.get(item.id)?.available === false) this.unavailable--;
      if (item.available === false) this.unavailable++;
      this.items.set(item.id, item);
    }
  }
}
