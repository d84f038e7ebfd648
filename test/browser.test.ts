/**
 * The demo shop and the tracker in real headless Chromium, against the real server (the embedded
 * system on a temporary data dir, demo on). Skipped, with the reason, where Chromium is missing.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LoggedEvent } from '../src/events/logged.ts';
import { artifactDir, browserMissing, buildBrowserCode, launchChromium } from './support/browser.ts';
import { startSystem, type RunningSystem } from './support/harness.ts';

const missing = browserMissing();
if (missing) console.warn(`browser tests: ${missing}`);

/** Longest any wait in these tests may take: a bound that keeps a broken run finite, not a speed requirement. */
const BOUND_MS = 15_000;
/** Longer than the tracker's batch wait (2 s), so anything it would send has been sent. */
const QUIET_MS = 3000;

type Received = LoggedEvent['event'] & Record<string, unknown>;

describe('the demo shop in headless Chromium', { skip: missing }, () => {
  let running: RunningSystem;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    await buildBrowserCode();
    running = await startSystem({ demo: true });
    // The seeded history is applied before the shop is used.
    await running.system.processor.waitFor(await running.system.log.endOffsets('events'), BOUND_MS);
    browser = await launchChromium();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    assert.deepEqual(pageErrors.splice(0), [], 'no errors in the pages');
  });
  after(async () => {
    await browser?.close();
    await running?.close();
  });

  /** A page in a fresh context (a new device); `init` is a script run before the page's own. */
  async function newPage(init?: string): Promise<{ page: Page; posts: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    if (init) await context.addInitScript({ content: init });
    const page = await context.newPage();
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/events') posts.push(request.postData() ?? '');
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return { page, posts };
  }

  async function openShop(page: Page, path = '/demo', accept = true): Promise<void> {
    await page.goto(running.url + path);
    if (accept) await page.click('#consent-accept');
  }

  /** The tracker's device and session ids in this page. */
  const ids = (page: Page) =>
    page.evaluate(() => ({ device: localStorage.getItem('sw_d') ?? undefined, session: localStorage.getItem('sw_s')?.split('.')[0] }));

  /** Every event the server logged since `from`, of one device. */
  async function received(from: number[], device: string): Promise<Received[]> {
    const out: Received[] = [];
    for (let p = 0; p < running.system.log.partitions; p++) {
      for (const entry of await running.system.log.read<LoggedEvent>('events', p, from[p] ?? 0, 1_000_000)) {
        if (entry.value.event.anonymousId === device) out.push(entry.value.event as Received);
      }
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
    const deadline = Date.now() + BOUND_MS;
    while (Date.now() < deadline) {
      const value = await probe();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`gave up waiting for ${what}`);
  }

  /** Clicks a category in the menu and waits for its page (shown without a reload). */
  async function openCategory(page: Page, slug: string): Promise<void> {
    await page.click(`nav.categories a[href="/demo/c/${slug}"]`);
    await page.waitForSelector(`main[data-page=category][data-category="${slug}"]`);
  }

  /** Clicks a product card and waits for its page (shown without a reload). */
  async function openProduct(page: Page, selector: string): Promise<string> {
    const card = page.locator(selector).first();
    const itemId = (await card.getAttribute('data-sw-item'))!;
    await card.click();
    await page.waitForSelector(`main[data-page=product][data-item="${itemId}"]`);
    return itemId;
  }

  it('browse three products, scroll, add one to the cart: the server receives exactly the expected events, once each, despite a failed request', async () => {
    const start = await running.system.log.endOffsets('events');
    const startedAt = Date.now();
    const { page } = await newPage();
    // The first batch the tracker sends fails at the network level; its retry must count once.
    let failed: string[] | undefined;
    await page.route('**/v1/events', async (route) => {
      if (failed) return route.continue();
      failed = (JSON.parse(route.request().postData()!) as { events: Array<{ id: string }> }).events.map((e) => e.id);
      await route.abort('internetdisconnected');
    });
    await openShop(page);
    await openCategory(page, 'tents');
    const first = await openProduct(page, 'main .grid .card');
    const second = await openProduct(page, 'main .grid.compact .card');
    const third = await openProduct(page, `main .grid.compact .card:not([data-sw-item="${first}"])`);
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
    await page.click('[data-add-to-cart]');
    assert.equal(await page.textContent('#cart-count'), '1');

    const { device, session } = await ids(page);
    assert.ok(device && session);
    const intent = (events: Received[]) => events.filter((e) => !['impression', 'dwell', 'scroll'].includes(e.type));
    const events = await until('the add to cart', async () => {
      const got = await received(start, device);
      return got.some((e) => e.type === 'add_to_cart') && got;
    });
    assert.ok(failed && failed.length > 0, 'a request was failed');

    const shop = `${running.url}/demo`;
    assert.deepEqual(
      intent(events).map((e) => [e.type, e.itemId ?? e.context?.page]),
      [
        ['consent', `${shop}`],
        ['page_view', `${shop}`],
        ['page_view', `${shop}/c/tents`],
        ['click', first],
        ['page_view', `${shop}/p/${first}`],
        ['product_view', first],
        ['click', second],
        ['page_view', `${shop}/p/${second}`],
        ['product_view', second],
        ['click', third],
        ['page_view', `${shop}/p/${third}`],
        ['product_view', third],
        ['add_to_cart', third],
      ],
    );
    const clicks = events.filter((e) => e.type === 'click');
    assert.deepEqual(
      clicks.map((e) => e.listId),
      ['category:tents', `line:${(await lineOf(first))!}`, `line:${(await lineOf(second))!}`],
    );
    // Scroll milestones at most once per page view, and all of them on the page scrolled to the bottom.
    const scrolls = events.filter((e) => e.type === 'scroll').map((e) => `${e.context?.page} ${e.depth}`);
    assert.equal(new Set(scrolls).size, scrolls.length, scrolls.join(', '));
    for (const depth of [25, 50, 75, 100]) assert.ok(scrolls.includes(`${shop}/p/${third} ${depth}`), `scrolled to ${depth}%: ${scrolls.join(', ')}`);

    // Each event once in the log (the failed batch was sent again, not twice), of one session, in time.
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event id twice');
    for (const id of failed!) assert.equal(events.filter((e) => e.id === id).length, 1, `failed event ${id} arrived once`);
    for (const e of events) {
      assert.equal(e.sessionId, session);
      assert.ok(e.ts >= startedAt && e.ts <= Date.now(), `${e.type} at ${e.ts}`);
      assert.equal(typeof e.sentAt, 'number');
    }
    const cart = events.find((e) => e.type === 'add_to_cart')!;
    assert.equal(cart.price, (await running.system.catalog.get(third))!.price);

    await page.screenshot({ path: join(artifactDir(), 'demo-after-browsing.png'), fullPage: true, animations: 'disabled' });
    assert.ok(statSync(join(artifactDir(), 'demo-after-browsing.png')).size > 10_000);
  });

  it('a batch the server stored but whose answer was lost is sent again and still counted once', async () => {
    const start = await running.system.log.endOffsets('events');
    const duplicatesBefore = running.system.store.stats().counters.duplicates;
    const { page } = await newPage();
    let lost: string[] | undefined;
    await page.route('**/v1/events', async (route) => {
      if (lost) return route.continue();
      lost = (JSON.parse(route.request().postData()!) as { events: Array<{ id: string }> }).events.map((e) => e.id);
      // The request reaches the server; the page sees a network error and retries.
      await route.fetch();
      await route.abort('connectionreset');
    });
    await openShop(page, '/demo/p/demo-2222');
    const { device, session } = await ids(page);
    const events = await until('the retried batch', async () => {
      const got = await received(start, device!);
      return lost!.every((id) => got.filter((e) => e.id === id).length === 2) && got;
    });
    assert.equal(events.filter((e) => e.type === 'product_view').length, 2, 'the view is in the log twice');
    await until('the retry to be dropped as a duplicate', async () => running.system.store.stats().counters.duplicates >= duplicatesBefore + lost!.length);
    const context = (await (await fetch(`${running.url}/v1/sessions/${session}`)).json()) as { recentItems: string[]; device: string };
    assert.deepEqual(context.recentItems, ['demo-2222'], 'the session counts the view once');
    assert.equal(context.device, 'desktop', 'the device the tracker tells from the viewport, a ranker feature');
  });

  async function lineOf(itemId: string): Promise<string | undefined> {
    return running.system.catalog.get(itemId)?.attributes?.line as string | undefined;
  }

  it('the rail re-ranks in place after a product view, within a second, without a reload', async () => {
    const { page } = await newPage();
    await openShop(page, '/demo/p/demo-0001');
    const rail = () => page.$$eval('#rail [data-sw-item]', (cards) => cards.map((c) => c.getAttribute('data-sw-item')).join(' '));
    const before = await until('the first list in the rail', async () => {
      const shown = await rail();
      // The first push after the product view reflects it (its rail lists the product itself).
      return shown.includes('demo-0001') && shown;
    });
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    // A product of another category, reached by a link (navigation without reload).
    await page.evaluate(() => {
      const link = document.createElement('a');
      link.href = '/demo/p/demo-1405';
      link.id = 'elsewhere';
      link.textContent = 'elsewhere';
      document.getElementById('page')!.prepend(link);
    });
    await page.click('#elsewhere');
    await page.waitForFunction((previous) => [...document.querySelectorAll('#rail [data-sw-item]')].map((c) => c.getAttribute('data-sw-item')).join(' ') !== previous, before, { timeout: 1000 });
    assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, 'same document: no reload');
    assert.match(page.url(), /\/demo\/p\/demo-1405$/);
    assert.ok((await rail()).includes('demo-1405'), 'the new list reflects the view');
  });

  it('consent mode: nothing is sent or stored before consent', async () => {
    const { page, posts } = await newPage();
    await openShop(page, '/demo', false);
    assert.equal(await page.isVisible('#consent'), true);
    await openCategory(page, 'footwear');
    await openProduct(page, 'main .grid .card');
    await page.click('[data-add-to-cart]');
    await page.waitForTimeout(QUIET_MS);
    assert.equal(posts.length, 0, posts.join('\n'));
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('sw_'))), []);
    await page.click('#consent-accept');
    await until('the consent event', async () => posts.some((body) => body.includes('"consent"')));
  });

  it('Global Privacy Control set: nothing is sent or stored, and the rail shows popular products', async () => {
    const { page, posts } = await newPage("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });");
    await openShop(page, '/demo/c/cycling', false);
    assert.equal(await page.isVisible('#consent'), false, 'no consent banner to press');
    await openProduct(page, 'main .grid .card');
    await page.click('[data-add-to-cart]');
    await page.waitForTimeout(QUIET_MS);
    assert.equal(posts.length, 0, posts.join('\n'));
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('sw_'))), []);
    assert.equal(await page.locator('#rail [data-sw-item]').count(), 8);
    assert.match((await page.textContent('#rail-status'))!, /not to be tracked/);
  });

  it('query strings and fragments are stripped from page URLs; a search query is sent only as the site passes it', async () => {
    const start = await running.system.log.endOffsets('events');
    const { page } = await newPage();
    await openShop(page, '/demo/p/demo-0005?utm_source=newsletter&email=ann%40example.com#reviews');
    await page.fill('form.search input', 'moss boot');
    await page.press('form.search input', 'Enter');
    await page.waitForSelector('main[data-page=search]');
    const { device } = await ids(page);
    const events = await until('the search', async () => {
      const got = await received(start, device!);
      return got.some((e) => e.type === 'search') && got;
    });
    const pages = events.map((e) => `${e.context?.page} ${e.context?.referrer ?? ''}`).join('\n');
    assert.ok(!/[?#]/.test(pages), pages);
    assert.ok(!JSON.stringify(events).includes('example.com'), 'the e-mail in the URL never left the page');
    assert.equal(events.find((e) => e.type === 'product_view')!.context?.page, `${running.url}/demo/p/demo-0005`);
    assert.equal(events.find((e) => e.type === 'search')!.query, 'moss boot');
  });

  it('identify on a second browser context continues the same user’s session context; forget deletes it', async () => {
    const start = await running.system.log.endOffsets('events');
    const laptop = (await newPage()).page;
    await openShop(laptop, '/demo/c/paddling');
    const kayak = await openProduct(laptop, 'main .grid .card');
    const paddle = await openProduct(laptop, 'main .grid.compact .card');
    await laptop.click('#sign-in');
    await laptop.fill('form.signin input', 'ann@example.com');
    await laptop.press('form.signin input', 'Enter');
    await laptop.waitForSelector('#sign-in:has-text("Hi, ann")');

    const phone = (await newPage()).page;
    await openShop(phone, '/demo');
    await phone.click('#sign-in');
    await phone.fill('form.signin input', 'ann@example.com');
    await phone.press('form.signin input', 'Enter');
    await phone.waitForSelector('#sign-in:has-text("Hi, ann")');
    const phoneIds = await ids(phone);
    const laptopIds = await ids(laptop);
    assert.notEqual(phoneIds.device, laptopIds.device);

    // The phone's session reads the user's context: the laptop's views.
    const context = await until('the phone session to carry the laptop’s views', async () => {
      const response = await fetch(`${running.url}/v1/sessions/${phoneIds.session}`);
      const body = response.ok ? ((await response.json()) as { recentItems: string[] }) : undefined;
      return body?.recentItems.includes(kayak) && body.recentItems.includes(paddle) && body;
    });
    assert.ok(context.recentItems.includes(kayak));
    const identifies = [...(await received(start, laptopIds.device!)), ...(await received(start, phoneIds.device!))].filter((e) => e.type === 'identify');
    assert.equal(identifies.length, 2);
    assert.equal(identifies[0]!.userId, identifies[1]!.userId);
    assert.match(identifies[0]!.userId!, /^[0-9a-f]{64}$/, 'a SHA-256, not the address');

    await phone.click('#forget-me');
    await until('the user context to be deleted', async () => (await fetch(`${running.url}/v1/sessions/${phoneIds.session}`)).status === 404);
    assert.equal(await phone.evaluate(() => localStorage.getItem('sw_d')), null);
  });

});
