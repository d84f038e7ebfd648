/**
 * Synthetic shopper history for the demo: sessions that browse within a product line, wander to
 * its category and to related categories, and sometimes add to the cart and buy. Fed through the
 * collector into an empty data dir, it gives the recommender co-visitation and popularity to
 * work with, so the rails mean something from the first click.
 */
import { mulberry32 } from '../prng.ts';
import { CATEGORIES, ITEMS_PER_LINE, LINES_PER_CATEGORY, type DemoProduct } from './catalog.ts';

export interface HistoryOptions {
  sessions: number;
  /** History ends at `now` minus a minute and reaches back this far. */
  spanMs: number;
  seed: number;
}

export const DEFAULT_HISTORY: HistoryOptions = { sessions: 3000, spanMs: 2 * 3600_000, seed: 7 };

/** Events in time order, ready for POST /v1/events. */
export function demoHistory(products: DemoProduct[], now: number, options: HistoryOptions = DEFAULT_HISTORY): Array<Record<string, unknown>> {
  const random = mulberry32(options.seed);
  // Some categories and lines are more popular than others, in an order the seed shuffles.
  const shuffled = (n: number) => Array.from({ length: n }, (_, i) => [random(), i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  const categoryOrder = shuffled(CATEGORIES.length);
  const lineOrder = shuffled(LINES_PER_CATEGORY);
  const skewed = (order: number[]) => order[Math.floor(order.length * random() ** 1.5)]!;
  const lineStart = (category: number, line: number) => (category * LINES_PER_CATEGORY + line) * ITEMS_PER_LINE;
  const events: Array<Record<string, unknown>> = [];
  for (let s = 0; s < options.sessions; s++) {
    const who = { anonymousId: `demo-shopper-${s}`, sessionId: `demo-history-${s}` };
    let ts = now - 60_000 - options.spanMs + random() * options.spanMs * 0.9;
    let category = skewed(categoryOrder);
    let line = skewed(lineOrder);
    const viewed: DemoProduct[] = [];
    const length = 2 + Math.floor(random() * 6);
    for (let step = 0; step < length; step++) {
      const roll = random();
      if (roll > 0.92) {
        const related = CATEGORIES[category]!.related;
        const slug = related[Math.floor(random() * related.length)];
        category = CATEGORIES.findIndex((c) => c.slug === slug);
        line = skewed(lineOrder);
      } else if (roll > 0.75) {
        line = Math.floor(random() * LINES_PER_CATEGORY);
      }
      const product = products[lineStart(category, line) + Math.floor(random() * ITEMS_PER_LINE)]!;
      viewed.push(product);
      ts += 20_000 + random() * 70_000;
      events.push({ type: 'product_view', id: `demo-h${s}-${step}`, ts: Math.round(ts), ...who, itemId: product.id, category: product.category, price: product.price });
    }
    if (random() < 0.3) {
      const product = viewed[Math.floor(random() * viewed.length)]!;
      ts += 15_000;
      events.push({ type: 'add_to_cart', id: `demo-h${s}-cart`, ts: Math.round(ts), ...who, itemId: product.id, category: product.category, price: product.price, quantity: 1 });
      if (random() < 0.35) {
        ts += 60_000;
        events.push({ type: 'purchase', id: `demo-h${s}-order`, ts: Math.round(ts), ...who, orderId: `demo-order-${s}`, items: [{ itemId: product.id, price: product.price, quantity: 1 }] });
      }
    }
  }
  return events.filter((e) => (e.ts as number) < now).sort((a, b) => (a.ts as number) - (b.ts as number));
}
