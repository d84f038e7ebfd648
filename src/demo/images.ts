/**
 * Placeholder product pictures for the demo shop, drawn as SVG: a category motif in the
 * product's colour over a mountain backdrop, varied per product so that a grid does not look
 * like one picture repeated.
 */
import type { DemoProduct } from './catalog.ts';

/** One simple drawing per category, in a 200×200 box, stroked and filled with `currentColor`. */
const MOTIFS: Record<string, string> = {
  tents: '<path d="M40 150 L100 58 L160 150 Z" fill="currentColor"/><path d="M100 58 L100 150 M88 150 L100 112 L112 150" stroke="#fff" stroke-width="4" fill="none"/>',
  sleeping: '<rect x="62" y="40" width="76" height="122" rx="34" fill="currentColor"/><path d="M70 70 H130 M70 96 H130 M70 122 H130" stroke="#fff" stroke-width="4" opacity=".6"/><ellipse cx="100" cy="56" rx="24" ry="10" fill="#fff" opacity=".7"/>',
  backpacks: '<rect x="60" y="50" width="80" height="106" rx="22" fill="currentColor"/><rect x="74" y="104" width="52" height="36" rx="8" fill="#fff" opacity=".35"/><path d="M80 50 Q100 26 120 50" stroke="currentColor" stroke-width="8" fill="none"/>',
  jackets: '<path d="M70 48 L88 40 Q100 54 112 40 L130 48 L158 96 L140 104 L132 88 L132 160 L68 160 L68 88 L60 104 L42 96 Z" fill="currentColor"/><path d="M100 54 V160" stroke="#fff" stroke-width="3" opacity=".7"/>',
  footwear: '<path d="M58 60 H96 V112 Q130 114 150 132 Q158 140 150 150 H52 Q48 150 48 142 Z" fill="currentColor"/><path d="M52 150 H150" stroke="#fff" stroke-width="6" opacity=".5"/><path d="M96 76 H80 M96 92 H80" stroke="#fff" stroke-width="4"/>',
  cookware: '<rect x="56" y="84" width="88" height="66" rx="10" fill="currentColor"/><rect x="50" y="74" width="100" height="12" rx="6" fill="currentColor"/><path d="M144 100 H172" stroke="currentColor" stroke-width="8" stroke-linecap="round"/><path d="M84 60 Q90 48 84 36 M104 60 Q110 48 104 36" stroke="currentColor" stroke-width="4" fill="none" opacity=".6"/>',
  lighting: '<circle cx="100" cy="100" r="48" fill="currentColor" opacity=".18"/><rect x="80" y="68" width="40" height="72" rx="8" fill="currentColor"/><rect x="86" y="80" width="28" height="40" rx="6" fill="#fff" opacity=".8"/><path d="M88 60 Q100 44 112 60" stroke="currentColor" stroke-width="5" fill="none"/>',
  climbing: '<rect x="68" y="42" width="64" height="116" rx="32" stroke="currentColor" stroke-width="14" fill="none"/><path d="M132 84 V116" stroke="#fff" stroke-width="6"/>',
  cycling: '<circle cx="62" cy="126" r="30" stroke="currentColor" stroke-width="8" fill="none"/><circle cx="140" cy="126" r="30" stroke="currentColor" stroke-width="8" fill="none"/><path d="M62 126 L92 78 L124 78 L140 126 M92 78 L104 126 L124 78 M86 66 H100" stroke="currentColor" stroke-width="7" fill="none" stroke-linejoin="round"/>',
  paddling: '<ellipse cx="100" cy="118" rx="78" ry="18" fill="currentColor"/><ellipse cx="100" cy="112" rx="18" ry="6" fill="#fff" opacity=".6"/><path d="M48 58 L152 150" stroke="currentColor" stroke-width="6"/><ellipse cx="46" cy="56" rx="8" ry="16" transform="rotate(-48 46 56)" fill="currentColor"/>',
  navigation: '<circle cx="100" cy="100" r="56" fill="currentColor"/><circle cx="100" cy="100" r="44" fill="#fff" opacity=".9"/><path d="M100 62 L112 100 L100 138 L88 100 Z" fill="currentColor"/><circle cx="100" cy="100" r="5" fill="#fff"/>',
  hydration: '<rect x="74" y="62" width="52" height="98" rx="14" fill="currentColor"/><rect x="84" y="40" width="32" height="24" rx="6" fill="currentColor"/><rect x="82" y="92" width="36" height="30" rx="4" fill="#fff" opacity=".45"/>',
};

/** Mixes a #rrggbb colour with white: amount 0 is the colour, 1 is white. */
function tint(hex: string, amount: number): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(c + (255 - c) * amount)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/**
 * The picture as a file (GET /demo/img/<id>.svg): what the catalog's imageUrl names, for the
 * cart, the live rail and any other client of the recommendations API.
 */
export function productSvg(product: DemoProduct): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img" aria-label="${product.title}">${drawing(product)}</svg>`;
}

/**
 * The same picture inline, for the pages the server renders. An <img> of an SVG file costs the
 * browser a document of its own per picture (parsed, laid out and painted on the page's main
 * thread, about 3 to 20 ms each on the benchmark machine); inline it is a few more elements of
 * the page. `label` names it for assistive technology; without one it is decorative.
 */
export function productPicture(product: DemoProduct, className: string, label?: string): string {
  const role = label === undefined ? 'aria-hidden="true"' : `role="img" aria-label="${label}"`;
  return `<svg class="${className}" viewBox="0 0 200 200" ${role}>${drawing(product)}</svg>`;
}

function drawing(product: DemoProduct): string {
  const color = product.attributes.colorHex;
  const n = Number(product.id.slice(5));
  // Peaks shift and the motif turns a little from product to product.
  const peak = 60 + ((n * 37) % 80);
  const turn = ((n * 13) % 11) - 5;
  // Inline pictures share the page's ids: one gradient id per product.
  const sky = `sky-${product.id}`;
  return `<defs><linearGradient id="${sky}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${tint(color, 0.9)}"/><stop offset="1" stop-color="${tint(color, 0.72)}"/></linearGradient></defs>
<rect width="200" height="200" fill="url(#${sky})"/>
<path d="M0 170 L${peak - 50} 110 L${peak} 132 L${peak + 40} 92 L200 150 L200 200 L0 200 Z" fill="${tint(color, 0.6)}"/>
<g color="${color}" transform="rotate(${turn} 100 100)">${MOTIFS[product.category] ?? ''}</g>`;
}
