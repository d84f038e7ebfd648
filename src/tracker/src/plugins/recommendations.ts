/**
 * Recommendation slots: `recommendations({ tracker, slot, k, render })` fills an element with the
 * shopper's recommendations and keeps it current: it follows the session's live stream
 * (server-sent events, GET /v1/stream) and re-ranks the slot in place when the server pushes a
 * new list, moving the elements it already has and rendering only new items. Each item element
 * is marked for the impressions plugin and click capture (`data-sw-item`, `data-sw-position`,
 * `data-sw-list` on the slot), so what the shopper sees and clicks in the slot flows back.
 */
import type { Tracker } from '../tracker.ts';

export interface RecommendedItem {
  itemId: string;
  score: number;
  reason: string;
  title?: string;
  category?: string;
  price?: number;
  imageUrl?: string;
}

export interface SlotOptions {
  tracker: Tracker;
  /** The element to fill, or a selector for it. */
  slot: HTMLElement | string;
  /** Items shown. Default 8. */
  k?: number;
  /** Names the slot in impression and click events. Default "rec:" and the slot's id. */
  listId?: string;
  /** Makes the element of one item; called once per item shown, not again when it moves. */
  render(item: RecommendedItem, position: number): HTMLElement;
  /** Called after each change of the slot, with the list shown. */
  onUpdate?(items: RecommendedItem[]): void;
  /** More query parameters (region, age). */
  params?: Record<string, string>;
}

export interface Slot {
  close(): void;
}

export function recommendations(options: SlotOptions): Slot {
  const { tracker } = options;
  const slot = typeof options.slot === 'string' ? document.querySelector<HTMLElement>(options.slot)! : options.slot;
  slot.dataset.swList = options.listId ?? `rec:${slot.id || 'slot'}`;
  let shown = new Map<string, HTMLElement>();
  let source: EventSource | undefined;
  let following: string | undefined;

  const show = (items: RecommendedItem[]) => {
    const next = new Map<string, HTMLElement>();
    items.forEach((item, position) => {
      const element = shown.get(item.itemId) ?? options.render(item, position);
      element.dataset.swItem = item.itemId;
      element.dataset.swPosition = String(position);
      next.set(item.itemId, element);
      // Elements before `position` are already in order; items no longer shown drift to the end.
      const there = slot.children[position];
      if (there !== element) slot.insertBefore(element, there ?? null);
    });
    for (const [itemId, element] of shown) if (!next.has(itemId)) element.remove();
    shown = next;
    options.onUpdate?.(items);
  };

  /** Follows the current session's stream; without a session (tracking off), shows one list. */
  const follow = () => {
    const sessionId = tracker.sessionId;
    const userId = tracker.userId;
    const key = `${sessionId} ${userId}`;
    if (key === following) return;
    following = key;
    source?.close();
    source = undefined;
    const query = new URLSearchParams({ ...options.params, k: String(options.k ?? 8), ...(userId ? { userId } : {}) });
    if (sessionId) {
      query.set('sessionId', sessionId);
      source = new EventSource(`${tracker.endpoint}/v1/stream?${query}`);
      source.addEventListener('recommendations', (event) => show((JSON.parse((event as MessageEvent<string>).data) as { items: RecommendedItem[] }).items));
    } else {
      fetch(`${tracker.endpoint}/v1/recommendations?${query}`)
        .then((response) => response.json() as Promise<{ items: RecommendedItem[] }>)
        .then((list) => following === key && show(list.items))
        .catch(() => undefined); // the slot keeps what it shows
    }
  };

  // A new session (roll-over, consent) or identify switches the stream.
  const stop = tracker.on(() => setTimeout(follow));
  follow();
  return {
    close() {
      stop();
      source?.close();
      following = undefined;
    },
  };
}
