import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateEvent } from '../events/validate.ts';
import { CATEGORIES, demoCatalog } from './catalog.ts';
import { demoHistory } from './history.ts';
import { productPicture, productSvg } from './images.ts';

test('the demo catalog is the same on every run: 2,400 products, 200 a category, unique titles, prices in range', () => {
  const products = demoCatalog();
  assert.deepEqual(demoCatalog(), products);
  assert.equal(products.length, 2400);
  assert.equal(new Set(products.map((p) => p.id)).size, 2400);
  assert.equal(new Set(products.map((p) => p.title)).size, 2400);
  for (const category of CATEGORIES) {
    const inCategory = products.filter((p) => p.category === category.slug);
    assert.equal(inCategory.length, 200, category.slug);
    for (const p of inCategory) assert.ok(p.price >= category.minPrice - 0.01 && p.price <= category.maxPrice, `${p.id} ${p.price}`);
  }
  assert.notDeepEqual(demoCatalog(1), products, 'another seed, another catalog');
});

test('every product has a picture: an SVG document in its colour', () => {
  const products = demoCatalog();
  for (const p of [products[0]!, products[1234]!, products[2399]!]) {
    const svg = productSvg(p);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
    assert.ok(svg.includes(p.attributes.colorHex));
    // Inline in the pages: the same drawing, decorative unless labelled.
    assert.ok(productPicture(p, 'pic').endsWith(svg.slice(svg.indexOf('><defs>') + 1)));
    assert.match(productPicture(p, 'pic', 'A tent'), /^<svg class="pic" viewBox="0 0 200 200" role="img" aria-label="A tent">/);
  }
});

test('the synthetic history is valid events, in time order, before now, browsing mostly within a product line', () => {
  const products = demoCatalog();
  const now = Date.UTC(2025, 0, 1);
  const events = demoHistory(products, now, { sessions: 300, spanMs: 3600_000, seed: 3 });
  assert.ok(events.length > 600);
  let previous = 0;
  for (const event of events) {
    assert.equal(validateEvent(event).ok, true, JSON.stringify(event));
    assert.ok((event.ts as number) >= previous && (event.ts as number) < now);
    previous = event.ts as number;
  }
  const line = new Map(products.map((p) => [p.id, p.attributes.line]));
  const views = events.filter((e) => e.type === 'product_view');
  let sameLine = 0;
  let pairs = 0;
  const last = new Map<string, string>();
  for (const v of views) {
    const before = last.get(v.sessionId as string);
    if (before) {
      pairs++;
      if (line.get(before) === line.get(v.itemId as string)) sameLine++;
    }
    last.set(v.sessionId as string, v.itemId as string);
  }
  assert.ok(sameLine / pairs > 0.6, `${sameLine} of ${pairs} consecutive views in the same line`);
});
