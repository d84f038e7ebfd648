/**
 * The demo shop's pages, rendered on the server as plain HTML: every page works without
 * JavaScript, and the shop script (client/shop.ts) takes over navigation, the cart and the live
 * rail. Product elements carry the tracker's marks (data-sw-item, data-sw-position, and
 * data-sw-list on their list), which is all the tracker needs for impressions and clicks.
 */
import { CATEGORIES, type DemoCategory, type DemoProduct } from './catalog.ts';
import { productPicture } from './images.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const price = (value: number) => `$${value.toFixed(2)}`;

export const SHOP_NAME = 'Trailhead Outfitters';

/** Scripts in load order: the tracker core, its plugins, then the shop. */
const SCRIPTS = ['/tracker/sessionwise.js', '/tracker/sessionwise-impressions.js', '/tracker/sessionwise-engagement.js', '/tracker/sessionwise-recommendations.js', '/demo/assets/shop.js'];

export interface PageMain {
  title: string;
  /** What the shop script does on this page. */
  kind: 'home' | 'category' | 'product' | 'cart' | 'search' | 'missing';
  attributes?: Record<string, string>;
  body: string;
}

export function layout(main: PageMain): string {
  const attributes = Object.entries(main.attributes ?? {})
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(main.title)} · ${SHOP_NAME}</title>
<link rel="stylesheet" href="/demo/assets/shop.css">
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M1 14 L8 2 L15 14 Z' fill='%232f5d50'/%3E%3C/svg%3E">
${SCRIPTS.map((src) => `<script defer src="${src}"></script>`).join('\n')}
</head>
<body>
<header class="top">
  <div class="top-inner">
    <a class="logo" href="/demo"><svg viewBox="0 0 32 32" aria-hidden="true"><path d="M2 28 L13 8 L19 18 L23 12 L30 28 Z" fill="currentColor"/></svg><span>${SHOP_NAME}</span></a>
    <form class="search" action="/demo/search" method="get" role="search">
      <input type="search" name="q" placeholder="Search tents, boots, stoves…" aria-label="Search the shop">
      <button type="submit" aria-label="Search">Search</button>
    </form>
    <div class="account">
      <button type="button" class="link" id="sign-in">Sign in</button>
      <a class="cart-link" href="/demo/cart">Cart <span id="cart-count" class="badge">0</span></a>
    </div>
  </div>
  <nav class="categories" aria-label="Categories">
    ${CATEGORIES.map((c) => `<a href="/demo/c/${c.slug}">${c.name}</a>`).join('')}
  </nav>
</header>
<main id="page" data-page="${main.kind}"${attributes}>
${main.body}
</main>
<section class="rail" aria-labelledby="rail-title">
  <div class="rail-head">
    <h2 id="rail-title">Picked for you, live</h2>
    <span id="rail-status" class="rail-status">Browse a few products: this row re-ranks as you go.</span>
  </div>
  <div id="rail" class="rail-items"></div>
</section>
<footer class="bottom">
  <p>${SHOP_NAME} is the Sessionwise demo shop: a synthetic catalog, placeholder pictures and nothing for sale. What you do here is tracked by the Sessionwise tracker and sent to this server (<code>/v1/events</code>); the row above is pushed by it (<code>/v1/stream</code>).</p>
  <p><button type="button" class="link" id="forget-me">Forget me</button> · <button type="button" class="link" id="privacy-choices">Privacy choices</button></p>
</footer>
<div id="consent" class="consent" hidden>
  <p><strong>Personalised recommendations?</strong> With your consent this shop records what you view and add to your cart, under a random id (first-party storage, nothing shared), to recommend products as you browse. Without it, nothing is recorded and you see what is popular.</p>
  <div class="consent-actions"><button type="button" class="btn" id="consent-decline">No, thanks</button><button type="button" class="btn primary" id="consent-accept">Accept</button></div>
</div>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
</body>
</html>`;
}

function card(product: DemoProduct, position: number): string {
  return `<a class="card" href="/demo/p/${product.id}" data-sw-item="${product.id}" data-sw-position="${position}">
${productPicture(product, 'pic')}
<span class="card-title">${escapeHtml(product.title)}</span>
<span class="card-meta"><span class="stars" aria-label="rated ${product.attributes.rating} of 5">★ ${product.attributes.rating.toFixed(1)}</span><span class="price">${price(product.price)}</span></span>
</a>`;
}

export const grid = (products: DemoProduct[], listId: string, extraClass = '') => `<div class="grid ${extraClass}" data-sw-list="${escapeHtml(listId)}">${products.map(card).join('\n')}</div>`;

export function homePage(featured: DemoProduct[], covers: Map<string, DemoProduct>): PageMain {
  return {
    title: 'Outdoor gear',
    kind: 'home',
    body: `<section class="hero">
  <div><h1>Gear for the next trail</h1><p>Tents, packs, boots and camp kitchens from twelve trusted lines. Look around: the row at the bottom learns what you are after, live.</p><a class="btn primary" href="/demo/c/tents">Shop tents</a></div>
</section>
<h2 class="section-title">Shop by category</h2>
<div class="tiles">${CATEGORIES.map((c) => `<a class="tile" href="/demo/c/${c.slug}">${productPicture(covers.get(c.slug)!, 'pic')}<span>${c.name}</span></a>`).join('')}</div>
<h2 class="section-title">Popular right now</h2>
${grid(featured, 'home:popular')}`,
  };
}

export function categoryPage(category: DemoCategory, products: DemoProduct[], page: number, pageSize: number): PageMain {
  const pages = Math.ceil(products.length / pageSize);
  const shown = products.slice((page - 1) * pageSize, page * pageSize);
  const link = (p: number, label: string) => (p === page ? `<span class="current">${label}</span>` : `<a href="/demo/c/${category.slug}${p > 1 ? `?page=${p}` : ''}">${label}</a>`);
  return {
    title: category.name,
    kind: 'category',
    attributes: { category: category.slug },
    body: `<nav class="crumbs"><a href="/demo">Home</a> › ${category.name}</nav>
<div class="page-head"><h1>${category.name}</h1><span class="muted">${products.length} products</span></div>
${grid(shown, `category:${category.slug}`)}
<nav class="pager" aria-label="Pages">${Array.from({ length: pages }, (_, i) => link(i + 1, String(i + 1))).join('')}</nav>`,
  };
}

export function productPage(product: DemoProduct, category: DemoCategory, sameLine: DemoProduct[]): PageMain {
  const a = product.attributes;
  const stars = '★★★★★'.slice(0, Math.round(a.rating)) + '☆☆☆☆☆'.slice(0, 5 - Math.round(a.rating));
  return {
    title: product.title,
    kind: 'product',
    attributes: { item: product.id, price: String(product.price), category: product.category },
    body: `<nav class="crumbs"><a href="/demo">Home</a> › <a href="/demo/c/${category.slug}">${category.name}</a> › ${escapeHtml(a.kind)}</nav>
<div class="product">
  ${productPicture(product, 'pic product-image', escapeHtml(product.title))}
  <div class="product-info">
    <p class="product-line">${escapeHtml(a.line)}</p>
    <h1>${escapeHtml(`${a.kind}, ${a.color}`)}</h1>
    <p class="rating"><span class="stars">${stars}</span> ${a.rating.toFixed(1)} · ${a.reviews} reviews</p>
    <p class="product-price">${price(product.price)}</p>
    <p>The ${escapeHtml(a.line)} ${escapeHtml(a.kind.toLowerCase())} in ${escapeHtml(a.color.toLowerCase())}: built for long days outside, tested on real trails, backed by a lifetime warranty.</p>
    <dl class="specs"><dt>Line</dt><dd>${escapeHtml(a.line)}</dd><dt>Colour</dt><dd><span class="swatch" style="background:${a.colorHex}"></span>${escapeHtml(a.color)}</dd><dt>Item</dt><dd>${product.id}</dd></dl>
    <button type="button" class="btn primary big" data-add-to-cart data-item="${product.id}" data-title="${escapeHtml(product.title)}" data-price="${product.price}" data-category="${product.category}" data-image="${product.imageUrl}">Add to cart</button>
    <p class="muted">In stock · free delivery over $75 · 60-day returns</p>
  </div>
</div>
<h2 class="section-title">More from the ${escapeHtml(a.line)} line</h2>
${grid(sameLine, `line:${a.line}`, 'compact')}`,
  };
}

export function cartPage(): PageMain {
  return {
    title: 'Your cart',
    kind: 'cart',
    body: `<div class="page-head"><h1>Your cart</h1></div>
<div id="cart-lines" class="cart-lines"><p class="muted">Your cart is empty.</p></div>
<div class="cart-total"><span>Subtotal</span><strong id="cart-subtotal">$0.00</strong></div>
<button type="button" class="btn primary big" id="place-order" disabled>Place order</button>`,
  };
}

export function searchPage(query: string, results: DemoProduct[]): PageMain {
  return {
    title: query ? `Search: ${query}` : 'Search',
    kind: 'search',
    attributes: { query },
    body: `<div class="page-head"><h1>${query ? `Results for “${escapeHtml(query)}”` : 'Search'}</h1><span class="muted">${results.length} products</span></div>
${results.length ? grid(results, 'search') : '<p class="muted">Nothing matches; try “tent”, “boot” or a colour such as “moss”.</p>'}`,
  };
}

export function missingPage(): PageMain {
  return { title: 'Not found', kind: 'missing', body: '<div class="page-head"><h1>Not found</h1></div><p>That page is not in this shop. <a href="/demo">Back to the start</a>.</p>' };
}
