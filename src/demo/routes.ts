/**
 * The demo shop at /demo: loads the synthetic catalog into the catalog, seeds synthetic shopper
 * history into an empty event log, and serves the pages, the product pictures and the shop's
 * script and style. On with `demo: true` (the default); a shop's own deployment turns it off.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Metrics } from '../ops/metrics.ts';
import { recommendationList } from '../serve/recommendations.ts';
import { sendBuiltFile } from '../serve/static-files.ts';
import type { System } from '../system.ts';
import { CATEGORIES, DEMO_CATALOG_VERSION, demoCatalog, type DemoProduct } from './catalog.ts';
import { demoHistory } from './history.ts';
import { productSvg } from './images.ts';
import { cartPage, categoryPage, homePage, layout, missingPage, productPage, searchPage, type PageMain } from './pages.ts';

const ASSETS: Record<string, { file: string; type: string }> = {
  'shop.js': { file: 'src/demo/client/dist/shop.js', type: 'text/javascript; charset=utf-8' },
  'shop.css': { file: 'src/demo/client/shop.css', type: 'text/css; charset=utf-8' },
};
const PAGE_SIZE = 24;
const FEATURED = 10;
const SEARCH_LIMIT = 48;
const UPSERT_BATCH = 1000;
const INGEST_BATCH = 500;

export async function demoRoutes(app: FastifyInstance, system: System, metrics: Metrics): Promise<void> {
  const products = demoCatalog();
  const byId = new Map(products.map((p) => [p.id, p]));
  const byCategory = new Map(CATEGORIES.map((c) => [c.slug, products.filter((p) => p.category === c.slug)]));
  await loadCatalog(system, products);
  await seedHistory(system, products);

  const html = (reply: FastifyReply, main: PageMain, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(layout(main));

  app.get('/', async (_request, reply) => reply.redirect('/demo'));

  app.get('/demo', async (_request, reply) => {
    const popular = (await recommendationList(system, { k: FEATURED }, metrics)).items.map((i) => byId.get(i.itemId)).filter((p) => p !== undefined);
    // Before the history is applied there is nothing popular yet: one product of each category.
    const featured = popular.length >= FEATURED / 2 ? popular : products.filter((_, i) => i % 200 === 0).slice(0, FEATURED);
    return html(reply, homePage(featured, new Map(CATEGORIES.map((c) => [c.slug, byCategory.get(c.slug)![0]!]))));
  });

  app.get('/demo/c/:slug', async (request, reply) => {
    const { slug } = request.params as { slug: string };
    const category = CATEGORIES.find((c) => c.slug === slug);
    if (!category) return html(reply, missingPage(), 404);
    const list = byCategory.get(slug)!;
    const page = Math.min(Math.max(1, Math.floor(Number((request.query as { page?: string }).page) || 1)), Math.ceil(list.length / PAGE_SIZE));
    return html(reply, categoryPage(category, list, page, PAGE_SIZE));
  });

  app.get('/demo/p/:id', async (request, reply) => {
    const product = byId.get((request.params as { id: string }).id);
    if (!product) return html(reply, missingPage(), 404);
    const sameLine = byCategory.get(product.category)!.filter((p) => p.attributes.line === product.attributes.line && p.id !== product.id && p.attributes.color === product.attributes.color);
    return html(reply, productPage(product, CATEGORIES.find((c) => c.slug === product.category)!, sameLine.slice(0, 6)));
  });

  app.get('/demo/cart', async (_request, reply) => html(reply, cartPage()));

  app.get('/demo/search', async (request, reply) => {
    const query = String((request.query as { q?: string }).q ?? '')
      .trim()
      .slice(0, 100);
    return html(reply, searchPage(query, query ? search(products, query) : []));
  });

  app.get('/demo/img/:file', async (request, reply) => {
    const product = byId.get((request.params as { file: string }).file.replace(/\.svg$/, ''));
    if (!product) return reply.code(404).send({ error: 'no such picture' });
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(productSvg(product));
  });

  app.get('/demo/assets/:file', async (request, reply) => {
    const asset = ASSETS[(request.params as { file: string }).file];
    if (!asset) return reply.code(404).send({ error: 'no such asset' });
    return sendBuiltFile(reply, asset.file, asset.type, 'no-cache');
  });
}

/** Every word must appear in the title or the category name. */
function search(products: DemoProduct[], query: string): DemoProduct[] {
  const words = query.toLowerCase().split(/\s+/);
  const names = new Map(CATEGORIES.map((c) => [c.slug, c.name.toLowerCase()]));
  return products.filter((p) => words.every((w) => p.title.toLowerCase().includes(w) || names.get(p.category)!.includes(w))).slice(0, SEARCH_LIMIT);
}

async function loadCatalog(system: System, products: DemoProduct[]): Promise<void> {
  const last = system.catalog.get(products.at(-1)!.id);
  if (last?.attributes?.catalogVersion === DEMO_CATALOG_VERSION) return;
  for (let i = 0; i < products.length; i += UPSERT_BATCH) await system.catalog.upsert({ items: products.slice(i, i + UPSERT_BATCH) });
}

/**
 * Only into an empty log: history is in the past, and past events sent to a log that has seen
 * newer ones would arrive late and not count.
 */
async function seedHistory(system: System, products: DemoProduct[]): Promise<void> {
  if ((await system.log.endOffsets('events')).some((offset) => offset > 0)) return;
  const events = demoHistory(products, Date.now());
  for (let i = 0; i < events.length; i += INGEST_BATCH) await system.collector.ingest({ events: events.slice(i, i + INGEST_BATCH) });
}
