/**
 * @sessionwise/tracker, the core: `init(options)` starts a tracker in the page. It sends a page
 * view at once and on every history route change (single-page apps), and a click for every
 * click inside an element marked `data-sw-item="<item id>"` (or `data-sw-click="<name>"`), with
 * the list (`data-sw-list` on an ancestor) and position (`data-sw-position`). One delegated
 * listener serves the whole page.
 */
import { browserEnvironment } from './environment.ts';
import { createTracker, type Tracker, type TrackerOptions } from './tracker.ts';

export type { EventFields, ItemDetails, TrackedEvent, Tracker, TrackerOptions } from './tracker.ts';

/** An optional part (impressions, engagement): set up once, before the first page view. */
export type Plugin = (tracker: Tracker) => void;

export interface InitOptions extends TrackerOptions {
  plugins?: Plugin[];
}

export function init(options: InitOptions = {}): Tracker {
  const tracker = createTracker(options, browserEnvironment());
  for (const plugin of options.plugins ?? []) plugin(tracker);

  let path = location.pathname + location.search;
  const routeChanged = () => {
    const now = location.pathname + location.search;
    if (now === path) return;
    path = now;
    tracker.page();
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      routeChanged();
    };
  }
  addEventListener('popstate', routeChanged);

  document.addEventListener(
    'click',
    (event) => {
      const marked = (event.target as Element | null)?.closest?.<HTMLElement>('[data-sw-item],[data-sw-click]');
      if (!marked) return;
      const { swItem, swClick, swPosition } = marked.dataset;
      tracker.track('click', {
        itemId: swItem,
        listId: swClick ?? marked.closest<HTMLElement>('[data-sw-list]')?.dataset.swList,
        position: swPosition === undefined ? undefined : Number(swPosition),
      });
    },
    true,
  );

  // Registered after the plugins' own listeners, so that what they send on leaving goes too.
  addEventListener('pagehide', tracker.leave);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && tracker.leave());
  addEventListener('online', () => void tracker.flush());

  tracker.page();
  return tracker;
}
