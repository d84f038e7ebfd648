/**
 * The demo shop in the browser: starts the tracker from its script-tag build (window.sessionwise,
 * consent mode), asks for consent, follows links without reloading (the rail stays and re-ranks
 * while the shopper browses), keeps the cart in localStorage and reports cart changes, orders,
 * searches and sign-ins to the tracker.
 */
import type { engagement } from '../../tracker/src/plugins/engagement.ts';
import type { impressions } from '../../tracker/src/plugins/impressions.ts';
import type { recommendations, RecommendedItem } from '../../tracker/src/plugins/recommendations.ts';
import type { InitOptions, Tracker } from '../../tracker/src/index.ts';

declare global {
  interface Window {
    sessionwise: { init(options: InitOptions): Tracker; impressions: typeof impressions; engagement: typeof engagement; recommendations: typeof recommendations };
    /** Milliseconds from each shopper action to the rail's re-rank, for tests and benchmarks. */
    rerankMs: number[];
  }
}

interface CartLine {
  itemId: string;
  title: string;
  price: number;
  image: string;
  category: string;
  quantity: number;
}

const CART_KEY = 'trailhead-cart';
const USER_KEY = 'trailhead-user';
const CONSENT_KEY = 'trailhead-consent';

const sw = window.sessionwise;
const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
const tracker = sw.init({ requireConsent: true, salt: 'trailhead-demo', plugins: [sw.impressions(), sw.engagement()] });
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const money = (value: number) => `$${value.toFixed(2)}`;

// ---- consent ----
const consent = byId('consent');
const privacySignal = nav.globalPrivacyControl === true || nav.doNotTrack === '1';
const askConsent = () => (consent.hidden = privacySignal);
if (!tracker.enabled && !privacySignal && localStorage.getItem(CONSENT_KEY) !== 'declined') askConsent();
byId('consent-accept').addEventListener('click', () => {
  consent.hidden = true;
  localStorage.removeItem(CONSENT_KEY);
  tracker.consent(true);
  trackPage(byId('page'));
});
byId('consent-decline').addEventListener('click', () => {
  consent.hidden = true;
  localStorage.setItem(CONSENT_KEY, 'declined');
  tracker.consent(false);
});
byId('privacy-choices').addEventListener('click', askConsent);
byId('forget-me').addEventListener('click', async () => {
  await tracker.forget();
  for (const key of [CART_KEY, USER_KEY, CONSENT_KEY]) localStorage.removeItem(key);
  showUser();
  showCart();
  toast('Forgotten: this browser’s data is cleared and the server deleted your profile.');
  askConsent();
});

// ---- the live rail ----
window.rerankMs = [];
let lastAction: { at: number; what: string } | undefined;
const ACTIONS: Record<string, string> = { product_view: 'viewed a product', add_to_cart: 'added to the cart', remove_from_cart: 'removed from the cart', purchase: 'ordered', search: 'searched', identify: 'signed in' };
tracker.on((event) => {
  if (ACTIONS[event.type]) lastAction = { at: performance.now(), what: ACTIONS[event.type]! };
});
const REASONS: Array<[RegExp, string]> = [
  [/^viewed together with/, 'Goes with what you viewed'],
  [/earlier in this session/, 'You looked at this'],
  [/similar sessions|shoppers like you/, 'Shoppers like you chose it'],
  [/^trending in (.+)/, 'Trending in $1'],
  [/trending/, 'Trending now'],
  [/popular/, 'Popular now'],
];
/** The shopper-facing words for a recommendation's reason; `$1` takes what the pattern captured. */
function reasonLabel(reason: string): string {
  for (const [pattern, label] of REASONS) {
    const match = pattern.exec(reason);
    if (match) return label.replace('$1', match[1] ?? '');
  }
  return '';
}
let railShown = false;
const railStatus = byId('rail-status');
const railItems = byId('rail');
sw.recommendations({
  tracker,
  slot: railItems,
  k: 8,
  listId: 'rail:live',
  render(item: RecommendedItem) {
    const card = document.createElement('a');
    card.className = railShown ? 'card entering' : 'card';
    card.href = `/demo/p/${item.itemId}`;
    const reason = reasonLabel(item.reason);
    card.innerHTML = `<img alt="" width="200" height="200"><span class="card-title"></span><span class="card-meta"><span class="price"></span></span><span class="card-reason"></span>`;
    card.querySelector('img')!.src = item.imageUrl ?? '';
    card.querySelector('.card-title')!.textContent = item.title ?? item.itemId;
    card.querySelector('.price')!.textContent = item.price === undefined ? '' : money(item.price);
    card.querySelector('.card-reason')!.textContent = reason;
    return card;
  },
  onUpdate() {
    if (lastAction && railShown) {
      const ms = Math.round(performance.now() - lastAction.at);
      window.rerankMs.push(ms);
      railStatus.textContent = `Re-ranked ${ms} ms after you ${lastAction.what}.`;
      railItems.classList.add('updated');
      setTimeout(() => railItems.classList.remove('updated'), 700);
    } else if (!tracker.enabled) {
      railStatus.textContent = privacySignal ? 'Your browser asks not to be tracked, so nothing is recorded: these are popular products.' : 'Popular products; accept personalisation to have this row follow what you browse.';
    }
    lastAction = undefined;
    railShown = true;
  },
});

// ---- navigation without reloads ----
async function navigate(url: string, push: boolean): Promise<void> {
  let next: HTMLElement | null = null;
  try {
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    next = doc.getElementById('page');
    if (next) document.title = doc.title;
  } catch {
    // offline or failed: fall back to a normal page load below
  }
  if (!next) {
    location.href = url;
    return;
  }
  // The events go out before the new page is swapped in: laying it out and loading its pictures
  // keep the main thread busy for tens of milliseconds, and the request (and so the re-ranked
  // rail) would wait behind that work. pushState first: the page view names the new URL.
  if (push) history.pushState(null, '', url);
  trackPage(next);
  void tracker.flush();
  byId('page').replaceWith(document.adoptNode(next));
  scrollTo(0, 0);
  if (next.dataset.page === 'cart') showCart();
}
document.addEventListener('click', (event) => {
  const link = (event.target as Element).closest('a');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/demo')) return;
  event.preventDefault();
  void navigate(url.href, true);
});
addEventListener('popstate', () => void navigate(location.href, false));
document.querySelector<HTMLFormElement>('form.search')!.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = new FormData(event.target as HTMLFormElement).get('q')?.toString().trim() ?? '';
  void navigate(`/demo/search?q=${encodeURIComponent(query)}`, true);
});

/** What a page tells the tracker: the product viewed, the search run. */
function trackPage(main: HTMLElement): void {
  const page = main.dataset;
  if (page.page === 'product') tracker.productView(page.item!, { price: Number(page.price), category: page.category });
  // The query is free text: the tracker sends it only because the shop passes it here.
  if (page.page === 'search' && page.query) tracker.search(page.query);
}

// ---- cart ----
const cart = (): CartLine[] => JSON.parse(localStorage.getItem(CART_KEY) ?? '[]') as CartLine[];
const saveCart = (lines: CartLine[]) => {
  localStorage.setItem(CART_KEY, JSON.stringify(lines));
  showCart();
};

function showCart(): void {
  const lines = cart();
  byId('cart-count').textContent = String(lines.reduce((n, l) => n + l.quantity, 0));
  const list = document.getElementById('cart-lines');
  if (!list) return;
  list.replaceChildren(
    ...lines.map((line) => {
      const row = document.createElement('div');
      row.className = 'cart-line';
      row.innerHTML = `<img alt="" width="72" height="72"><a></a><span class="price"></span><button type="button" class="btn">Remove</button>`;
      row.querySelector('img')!.src = line.image;
      const link = row.querySelector('a')!;
      link.href = `/demo/p/${line.itemId}`;
      link.textContent = line.quantity > 1 ? `${line.title} × ${line.quantity}` : line.title;
      row.querySelector('.price')!.textContent = money(line.price * line.quantity);
      row.querySelector('button')!.addEventListener('click', () => {
        tracker.removeFromCart(line.itemId, { price: line.price, quantity: line.quantity, category: line.category });
        saveCart(cart().filter((l) => l.itemId !== line.itemId));
      });
      return row;
    }),
  );
  if (lines.length === 0) list.innerHTML = '<p class="muted">Your cart is empty.</p>';
  byId('cart-subtotal').textContent = money(lines.reduce((sum, l) => sum + l.price * l.quantity, 0));
  byId<HTMLButtonElement>('place-order').disabled = lines.length === 0;
}

document.addEventListener('click', (event) => {
  const target = event.target as Element;
  const add = target.closest<HTMLElement>('[data-add-to-cart]');
  if (add) {
    const { item, title, price, image, category } = add.dataset;
    const lines = cart();
    const line = lines.find((l) => l.itemId === item);
    if (line) line.quantity++;
    else lines.push({ itemId: item!, title: title!, price: Number(price), image: image!, category: category!, quantity: 1 });
    tracker.addToCart(item!, { price: Number(price), quantity: 1, category });
    saveCart(lines);
    toast('Added to your cart');
  }
  const signInButton = target.closest<HTMLElement>('#sign-in');
  if (signInButton) signIn(signInButton);
  if (target.closest('#place-order')) {
    const lines = cart();
    tracker.purchase(
      lines.map((l) => ({ itemId: l.itemId, price: l.price, quantity: l.quantity })),
      `order-${Date.now().toString(36)}`,
    );
    saveCart([]);
    byId('cart-lines').innerHTML = '<p><strong>Thank you!</strong> Your (pretend) order is placed.</p>';
  }
});

// ---- sign in ----
function showUser(): void {
  const name = localStorage.getItem(USER_KEY);
  byId('sign-in').textContent = name ? `Hi, ${name} · sign out` : 'Sign in';
}
/** Sign in is a form in place of the button; the tracker sends only a salted hash of the address. */
function signIn(button: HTMLElement): void {
  if (localStorage.getItem(USER_KEY)) {
    localStorage.removeItem(USER_KEY);
    showUser();
    return;
  }
  const form = document.createElement('form');
  form.className = 'signin';
  form.innerHTML = '<input type="email" name="email" placeholder="you@example.com" aria-label="Email" required><button type="submit" class="btn primary">Sign in</button>';
  button.replaceWith(form);
  form.querySelector('input')!.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const email = new FormData(form).get('email')!.toString().trim().toLowerCase();
    await tracker.identify(email);
    localStorage.setItem(USER_KEY, email.split('@')[0]!);
    form.replaceWith(button);
    showUser();
    toast('Signed in: your recommendations follow you to your other devices.');
  });
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(message: string): void {
  const element = byId('toast');
  element.textContent = message;
  element.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => element.classList.remove('shown'), 2200);
}

showUser();
showCart();
trackPage(byId('page'));
