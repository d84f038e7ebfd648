/**
 * Impressions: an element marked `data-sw-item` counts as seen when at least half of it is
 * visible for at least a second (IntersectionObserver), once per page view and list. Items seen
 * close together are sent as one impression event per list. Elements added later (re-rendered
 * rails, infinite scroll) are observed as they appear.
 */
import type { Tracker } from '../tracker.ts';

export interface ImpressionOptions {
  /** Share of the element that must be visible. Default 0.5. */
  threshold?: number;
  /** How long it must stay visible. Default 1000 ms. */
  minVisibleMs?: number;
}

const SELECTOR = '[data-sw-item]';
/** Items that became seen within this time go out as one event per list. */
const GATHER_MS = 200;

export function impressions(options: ImpressionOptions = {}) {
  return (tracker: Tracker): void => {
    if (typeof IntersectionObserver === 'undefined') return;
    const threshold = options.threshold ?? 0.5;
    const timers = new Map<Element, ReturnType<typeof setTimeout>>();
    let seen = new Set<string>();
    let gathered = new Map<string, { items: string[]; positions: number[] }>();
    let gathering: ReturnType<typeof setTimeout> | undefined;

    const send = () => {
      gathering = undefined;
      for (const [listId, { items, positions }] of gathered) {
        tracker.track('impression', { items, ...(positions.length === items.length ? { positions } : {}), ...(listId ? { listId } : {}) });
      }
      gathered = new Map();
    };
    const seenNow = (element: HTMLElement) => {
      timers.delete(element);
      if (document.visibilityState !== 'visible' || !element.isConnected) return;
      const itemId = element.dataset.swItem!;
      const listId = element.closest<HTMLElement>('[data-sw-list]')?.dataset.swList ?? '';
      const key = `${listId}\n${itemId}`;
      if (seen.has(key)) return;
      seen.add(key);
      let list = gathered.get(listId);
      if (!list) gathered.set(listId, (list = { items: [], positions: [] }));
      list.items.push(itemId);
      const position = element.dataset.swPosition;
      if (position !== undefined) list.positions.push(Number(position));
      gathering ??= setTimeout(send, GATHER_MS);
    };

    const observer = new IntersectionObserver(
      (entries) => {
        for (const { target, isIntersecting, intersectionRatio } of entries) {
          if (isIntersecting && intersectionRatio >= threshold) {
            if (!timers.has(target)) timers.set(target, setTimeout(() => seenNow(target as HTMLElement), options.minVisibleMs ?? 1000));
          } else {
            clearTimeout(timers.get(target));
            timers.delete(target);
          }
        }
      },
      { threshold },
    );
    const observeWithin = (node: Node) => {
      if (!(node instanceof Element)) return;
      if (node.matches(SELECTOR)) observer.observe(node);
      for (const element of node.querySelectorAll(SELECTOR)) observer.observe(element);
    };
    observeWithin(document.documentElement);
    new MutationObserver((records) => {
      for (const record of records) record.addedNodes.forEach(observeWithin);
    }).observe(document.documentElement, { childList: true, subtree: true });

    tracker.on((event) => {
      if (event.type !== 'page_view') return;
      // A new page view: what was seen counts again; what was gathered belongs to the old page.
      if (gathering) {
        clearTimeout(gathering);
        send();
      }
      seen = new Set();
      // Observing afresh reports what is on screen now, so that it can count for this page view.
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      observer.disconnect();
      observeWithin(document.documentElement);
    });
  };
}
