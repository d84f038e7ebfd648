/**
 * Engagement: scroll-depth milestones (once each per page view) and dwell, the time the page is
 * visible and the shopper active (an input within `idleMs`), sent as a ping every `pingMs` and
 * when the shopper leaves the page or the page view ends. A dwell names the product of the page
 * when there was a product view.
 */
import type { Tracker } from '../tracker.ts';

export interface EngagementOptions {
  /** Scroll depths (percent of the page) reported. Default 25, 50, 75, 100. */
  milestones?: number[];
  /** Dwell ping period. Default 15000 ms. */
  pingMs?: number;
  /** Without input for this long the shopper counts as away. Default 30000 ms. */
  idleMs?: number;
}

const TICK_MS = 1000;

export function engagement(options: EngagementOptions = {}) {
  return (tracker: Tracker): void => {
    const milestones = options.milestones ?? [25, 50, 75, 100];
    const idleMs = options.idleMs ?? 30_000;
    let reached = new Set<number>();
    let lastInput = Date.now();
    let visibleMs = 0;
    let sinceTick = Date.now();
    let itemId: string | undefined;

    const sendDwell = () => {
      if (visibleMs > 0) tracker.track('dwell', { visibleMs, ...(itemId ? { itemId } : {}) });
      visibleMs = 0;
    };
    const tick = () => {
      const now = Date.now();
      if (document.visibilityState === 'visible' && now - lastInput < idleMs) visibleMs += now - sinceTick;
      sinceTick = now;
    };
    /** Sends the dwell counted so far: a periodic ping, the page hidden, the page view ended. */
    const ping = () => {
      tick();
      sendDwell();
    };
    setInterval(tick, TICK_MS);
    setInterval(ping, options.pingMs ?? 15_000);

    let scheduled = false;
    const measure = () => {
      scheduled = false;
      const height = document.documentElement.scrollHeight;
      const depth = height > 0 ? ((scrollY + innerHeight) / height) * 100 : 100;
      for (const milestone of milestones) {
        if (depth + 0.5 >= milestone && !reached.has(milestone)) {
          reached.add(milestone);
          tracker.track('scroll', { depth: milestone });
        }
      }
    };
    addEventListener(
      'scroll',
      () => {
        lastInput = Date.now();
        if (scheduled) return;
        scheduled = true;
        requestAnimationFrame(measure);
      },
      { passive: true },
    );
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel']) addEventListener(type, () => (lastInput = Date.now()), { passive: true, capture: true });
    document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && ping());
    addEventListener('pagehide', ping);

    tracker.on((event) => {
      if (event.type === 'page_view') {
        ping();
        reached = new Set();
        itemId = undefined;
      } else if (event.type === 'product_view') {
        itemId = event.itemId as string;
      }
    });
  };
}
