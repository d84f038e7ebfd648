/**
 * Re-rank in the page: the demo shop (real server on core 0, demo on) in headless Chromium; the
 * shopper opens product after product by links (no reload) and the live rail re-ranks. Two
 * times per view, both on the page's clock:
 *   viewToRail: the tracker records the product view -> the rail shows the pushed list (the
 *               shop's own figure, window.rerankMs: send, ingest, apply, push, render);
 *   clickToRail: the click on the link -> the rail changes (adds fetching the next page's HTML).
 */
import { buildBrowserCode, launchChromium } from '../test/support/browser.ts';
import { info, parseOptions, Rng, startCliServer, summarize, type OptionSpec, type Result } from './support.ts';

export const options = {
  views: { default: 100, help: 'product views measured' },
  warmup: { default: 10, help: 'unmeasured views first' },
  maxSeconds: { default: 180, help: 'stop early after this long' },
} satisfies OptionSpec;

// The page functions below run in Chromium; these are the few browser names they use (the
// benchmarks are type-checked without the DOM library).
interface PageElement {
  id: string;
  textContent: string;
  prepend(node: PageElement): void;
  remove(): void;
  addEventListener(type: string, listener: () => void, options: object): void;
}
declare const window: { rerankMs: number[]; clickAt?: number; railAt?: number };
declare const document: { createElement(tag: 'a'): PageElement & { href: string }; getElementById(id: string): PageElement | null; querySelectorAll(selector: string): { length: number } };
declare class MutationObserver {
  constructor(callback: (records: unknown, observer: MutationObserver) => void);
  observe(target: PageElement, options: object): void;
  disconnect(): void;
}

export async function run(args: string[]): Promise<Result> {
  const o = parseOptions(args, options);
  await buildBrowserCode();
  const server = await startCliServer({ core: 0, env: { DEMO: 'true' } });
  const browser = await launchChromium();
  const viewToRail: number[] = [];
  const clickToRail: number[] = [];
  let unchanged = 0;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/demo/p/demo-0001`);
    await page.click('#consent-accept');
    await page.waitForFunction(() => window.rerankMs.length > 0 || document.querySelectorAll('#rail [data-sw-item]').length > 0);
    const rng = new Rng(11);
    const deadline = Date.now() + o.maxSeconds * 1000;
    for (let i = 0; i < o.warmup + o.views && Date.now() < deadline; i++) {
      const itemId = `demo-${String(1 + Math.floor(rng.next() * 2400)).padStart(4, '0')}`;
      const before = await page.evaluate((href) => {
        const link = document.createElement('a');
        link.href = href;
        link.id = 'bench-link';
        link.textContent = href;
        document.getElementById('bench-link')?.remove();
        document.getElementById('page')!.prepend(link);
        window.railAt = undefined;
        link.addEventListener('click', () => (window.clickAt = performance.now()), { capture: true });
        new MutationObserver((_, observer) => {
          window.railAt = performance.now();
          observer.disconnect();
        }).observe(document.getElementById('rail')!, { childList: true, subtree: true });
        return window.rerankMs.length;
      }, `/demo/p/${itemId}`);
      await page.click('#bench-link');
      const changed = await page
        .waitForFunction((n) => window.rerankMs.length > n, before, { timeout: 5000 })
        .then(() => true)
        .catch(() => false);
      if (i < o.warmup) continue;
      if (!changed) {
        unchanged++;
        continue;
      }
      const times = await page.evaluate(() => ({ view: window.rerankMs.at(-1)!, click: window.railAt! - window.clickAt! }));
      viewToRail.push(times.view);
      clickToRail.push(times.click);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  info(`${viewToRail.length} re-ranks measured, ${unchanged} views left the rail unchanged`);
  return { views: viewToRail.length + unchanged, reranks: viewToRail.length, unchanged, viewToRailMs: summarize(viewToRail, 1), clickToRailMs: summarize(clickToRail, 1) };
}
