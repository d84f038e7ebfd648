/**
 * The demo shop's synthetic catalog: an outdoor-gear shop of 2,400 products in 12 categories,
 * generated from a fixed seed so that every start (and every test) sees the same shop. Products
 * come in product lines (a brand and a model, several product types and colours), which the
 * synthetic shopper history uses so that co-visitation has something to find.
 */
import type { CatalogItem } from '../catalog/catalog.ts';
import { mulberry32 } from '../prng.ts';

export interface DemoCategory {
  slug: string;
  name: string;
  /** Product types sold in the category. */
  kinds: string[];
  minPrice: number;
  maxPrice: number;
  /** Categories shoppers of this one often look at too. */
  related: string[];
}

export const CATEGORIES: DemoCategory[] = [
  { slug: 'tents', name: 'Tents', kinds: ['Dome Tent', 'Tunnel Tent', 'Ultralight Tent', 'Family Tent', 'Bivy Shelter', 'Tarp Shelter'], minPrice: 89, maxPrice: 899, related: ['sleeping', 'lighting'] },
  { slug: 'sleeping', name: 'Sleeping', kinds: ['Down Sleeping Bag', 'Synthetic Sleeping Bag', 'Sleeping Pad', 'Camp Pillow', 'Quilt', 'Bag Liner'], minPrice: 19, maxPrice: 549, related: ['tents', 'cookware'] },
  { slug: 'backpacks', name: 'Backpacks', kinds: ['Daypack 22L', 'Trekking Pack 45L', 'Expedition Pack 70L', 'Hip Pack', 'Summit Bag', 'Rain Cover'], minPrice: 25, maxPrice: 429, related: ['hydration', 'navigation'] },
  { slug: 'jackets', name: 'Jackets', kinds: ['Shell Jacket', 'Down Jacket', 'Fleece', 'Softshell', 'Insulated Vest', 'Wind Shirt'], minPrice: 59, maxPrice: 649, related: ['footwear', 'backpacks'] },
  { slug: 'footwear', name: 'Footwear', kinds: ['Hiking Boot', 'Trail Runner', 'Approach Shoe', 'Camp Sandal', 'Gaiters', 'Merino Socks'], minPrice: 18, maxPrice: 329, related: ['jackets', 'navigation'] },
  { slug: 'cookware', name: 'Camp Kitchen', kinds: ['Canister Stove', 'Titanium Pot', 'Cook Set', 'Spork', 'Mug', 'Water Kettle'], minPrice: 9, maxPrice: 219, related: ['hydration', 'sleeping'] },
  { slug: 'lighting', name: 'Lighting', kinds: ['Headlamp', 'Lantern', 'Flashlight', 'String Lights', 'Solar Charger', 'Power Bank'], minPrice: 15, maxPrice: 189, related: ['tents', 'navigation'] },
  { slug: 'climbing', name: 'Climbing', kinds: ['Harness', 'Dynamic Rope', 'Carabiner Set', 'Belay Device', 'Helmet', 'Chalk Bag'], minPrice: 12, maxPrice: 379, related: ['footwear', 'backpacks'] },
  { slug: 'cycling', name: 'Cycling', kinds: ['Bike Helmet', 'Saddle Bag', 'Frame Bag', 'Bike Light', 'Multi Tool', 'Cycling Gloves'], minPrice: 14, maxPrice: 259, related: ['hydration', 'lighting'] },
  { slug: 'paddling', name: 'Paddling', kinds: ['Touring Kayak', 'Inflatable SUP', 'Carbon Paddle', 'Life Vest', 'Dry Bag', 'Spray Skirt'], minPrice: 19, maxPrice: 1499, related: ['hydration', 'jackets'] },
  { slug: 'navigation', name: 'Navigation', kinds: ['Compass', 'GPS Watch', 'Altimeter', 'Map Case', 'Trekking Poles', 'Binoculars'], minPrice: 16, maxPrice: 599, related: ['backpacks', 'footwear'] },
  { slug: 'hydration', name: 'Hydration', kinds: ['Water Bottle', 'Hydration Bladder', 'Water Filter', 'Insulated Flask', 'Collapsible Cup', 'Purifier Tablets'], minPrice: 7, maxPrice: 129, related: ['backpacks', 'cookware'] },
];

export const COLORS: Array<{ name: string; hex: string }> = [
  { name: 'Slate', hex: '#5b6770' },
  { name: 'Moss', hex: '#5f7a3c' },
  { name: 'Ember', hex: '#c8553d' },
  { name: 'Glacier', hex: '#4f8fba' },
  { name: 'Sand', hex: '#b59a66' },
  { name: 'Midnight', hex: '#2d3a55' },
  { name: 'Sunrise', hex: '#e08a2e' },
  { name: 'Forest', hex: '#2f5d50' },
  { name: 'Berry', hex: '#8e3b62' },
  { name: 'Stone', hex: '#8a857c' },
];

const BRANDS = ['Northwind', 'Ridgeline', 'Cascade', 'Timberline', 'Basalt', 'Coyote', 'Alpenglow', 'Redwood', 'Fjordland', 'Granite Co.', 'Switchback', 'Lichen'];
const MODELS = ['Ember', 'Vista', 'Drift', 'Nomad', 'Horizon', 'Boulder', 'Canyon', 'Meadow', 'Traverse', 'Scree', 'Cirrus', 'Talus', 'Aspen', 'Juniper', 'Tundra', 'Sierra'];

export const LINES_PER_CATEGORY = 10;
export const ITEMS_PER_LINE = 20;
/** Changes when the generator changes, so that a data dir's demo catalog is refreshed. */
export const DEMO_CATALOG_VERSION = 1;

export interface DemoProduct extends CatalogItem {
  title: string;
  category: string;
  price: number;
  imageUrl: string;
  attributes: { brand: string; line: string; kind: string; color: string; colorHex: string; rating: number; reviews: number; catalogVersion: number };
}

/** The whole catalog, in category then line order; ids are demo-0001 … demo-2400. */
export function demoCatalog(seed = 20_240_601): DemoProduct[] {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const products: DemoProduct[] = [];
  for (const category of CATEGORIES) {
    for (let l = 0; l < LINES_PER_CATEGORY; l++) {
      const brand = pick(BRANDS);
      const model = MODELS[(l * 7 + products.length) % MODELS.length]!;
      const line = `${brand} ${model}`;
      // A line sits at one price level; its products vary around it.
      const level = Math.exp(Math.log(category.minPrice) + random() * (Math.log(category.maxPrice) - Math.log(category.minPrice)));
      // Four distinct colours (3 is coprime with 10), one per round of the product types.
      const first = Math.floor(random() * COLORS.length);
      const palette = [0, 1, 2, 3].map((j) => COLORS[(first + j * 3) % COLORS.length]!);
      for (let i = 0; i < ITEMS_PER_LINE; i++) {
        const kind = category.kinds[i % category.kinds.length]!;
        const color = palette[Math.floor(i / category.kinds.length)]!;
        const price = Math.max(category.minPrice, Math.min(category.maxPrice, Math.round(level * (0.6 + random() * 0.8)))) - 0.01;
        const id = `demo-${String(products.length + 1).padStart(4, '0')}`;
        products.push({
          id,
          title: `${line} ${kind}, ${color.name}`,
          category: category.slug,
          price,
          available: true,
          imageUrl: `/demo/img/${id}.svg`,
          attributes: {
            brand,
            line,
            kind,
            color: color.name,
            colorHex: color.hex,
            rating: Math.round((3.6 + random() * 1.4) * 10) / 10,
            reviews: Math.floor(random() * 400),
            catalogVersion: DEMO_CATALOG_VERSION,
          },
        });
      }
    }
  }
  return products;
}
