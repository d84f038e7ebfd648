/**
 * The catalog: items the shop sells (title, category, price, availability, attributes).
 * Recommendations use it for rules (availability) and display; the stream uses it to know an
 * item's category. Stored durably in LMDB in DATA_DIR and mirrored in memory for reads.
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

export class Catalog {
  private readonly items = new Map<string, CatalogItem>();
  private readonly db: RootDatabase<CatalogItem, string> | undefined;

  /** dir undefined: in memory only (evaluation). */
  constructor(dir?: string) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.db = open<CatalogItem, string>({ path: join(dir, 'catalog.lmdb') });
      for (const { key, value } of this.db.getRange()) this.items.set(key, value);
    }
  }

  get size(): number {
    return this.items.size;
  }

  get(id: string): CatalogItem | undefined {
    return this.items.get(id);
  }

  categoryOf = (id: string): string | undefined => this.items.get(id)?.category;

  isAvailable(id: string): boolean {
    return this.items.get(id)?.available !== false;
  }

  /** Validates and stores a batch; durable when the promise resolves. */
  async upsert(body: unknown): Promise<number> {
    if (!upsertCheck.Check(body)) {
      const e = upsertCheck.Errors(body).First();
      throw new CatalogValidationError(e ? `${e.path || '/'}: ${e.message}` : 'body must be {"items": [...]}');
    }
    for (const item of body.items) {
      this.items.set(item.id, item);
      void this.db?.put(item.id, item);
    }
    await this.db?.flushed;
    return body.items.length;
  }

  async close(): Promise<void> {
    await this.db?.close();
  }
}
