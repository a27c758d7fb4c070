/**
 * Synthetic products for large catalogs (benchmarks): product `i` is always
 * the same (a PRNG seeded by `i`), so two runs load the same data and a
 * benchmark can name products without reading them first.
 */
import type { ProductDoc } from "./product-model";

const CATEGORIES: Record<string, { nouns: string[]; price: [number, number]; weight: [number, number] }> = {
  electronics: { nouns: ["Headphones", "Speaker", "Charger", "Webcam", "Keyboard", "Mouse", "Monitor", "Router"], price: [999, 59999], weight: [50, 6000] },
  kitchen: { nouns: ["Skillet", "Kettle", "Knife", "Blender", "Toaster", "Saucepan", "Grinder", "Mixing Bowl"], price: [799, 29999], weight: [150, 9000] },
  books: { nouns: ["Novel", "Cookbook", "Field Guide", "Atlas", "Handbook", "Anthology", "Memoir", "Workbook"], price: [699, 6999], weight: [200, 1500] },
  outdoors: { nouns: ["Backpack", "Tent", "Sleeping Bag", "Headlamp", "Stove", "Water Bottle", "Hammock", "Trekking Poles"], price: [1499, 39999], weight: [80, 4000] },
  clothing: { nouns: ["Jacket", "Sweater", "T-Shirt", "Trousers", "Socks", "Scarf", "Cap", "Vest"], price: [999, 19999], weight: [60, 1200] },
  toys: { nouns: ["Puzzle", "Building Set", "Board Game", "Plush Bear", "Stunt Car", "Kite", "Science Kit", "Marble Run"], price: [799, 9999], weight: [100, 3000] },
  beauty: { nouns: ["Face Serum", "Hand Cream", "Shampoo", "Sunscreen", "Lip Balm", "Face Mask", "Body Lotion", "Hair Brush"], price: [499, 7999], weight: [40, 700] },
  office: { nouns: ["Notebook", "Desk Lamp", "Pen Set", "Laptop Stand", "Desk Mat", "Planner", "Whiteboard", "Stapler"], price: [399, 14999], weight: [50, 6000] },
};
const CATEGORY_NAMES = Object.keys(CATEGORIES);

const ADJECTIVES = ["Classic", "Compact", "Deluxe", "Everyday", "Ultralight", "Premium", "Rugged", "Eco", "Pro", "Smart", "Vintage", "Modern"];
const BRANDS = ["Northwind", "Bluefin", "Cedar & Co", "Lumen", "Arcadia", "Kestrel", "Marlow", "Tandem", "Oakridge", "Vela"];
const MATERIALS = ["recycled materials", "stainless steel", "organic cotton", "bamboo", "aluminium", "natural rubber", "merino wool", "tempered glass"];
const PERKS = ["a two-year warranty", "free returns", "a lifetime guarantee", "plastic-free packaging", "replaceable parts", "a travel pouch"];

/** mulberry32: small, fast and good enough to make varied catalog data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generatedSku(index: number): string {
  return `GEN-${String(index).padStart(7, "0")}`;
}

/** Product number `index` (0-based) of a synthetic catalog created at `now`. */
export function syntheticProduct(index: number, now: Date): Omit<ProductDoc, "_id" | "id"> {
  const random = prng(index + 1);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const between = ([min, max]: [number, number]) => min + Math.floor(random() * (max - min + 1));

  const category = CATEGORY_NAMES[index % CATEGORY_NAMES.length];
  const spec = CATEGORIES[category];
  const brand = pick(BRANDS);
  const noun = pick(spec.nouns);
  const adjective = pick(ADJECTIVES);
  // Shop prices end in 9: 2499, not 2473.
  const price = Math.floor(between(spec.price) / 100) * 100 + 99;
  const stockRoll = random();
  const stock = stockRoll < 0.05 ? 0 : stockRoll < 0.15 ? between([1, 5]) : between([6, 500]);
  const sku = generatedSku(index);
  const createdAt = new Date(now.getTime() - index * 1000);
  return {
    sku,
    name: `${brand} ${adjective} ${noun} ${String(index % 1000).padStart(3, "0")}`,
    description: `${adjective} ${noun.toLowerCase()} by ${brand}, made with ${pick(MATERIALS)} and backed by ${pick(PERKS)}.`,
    category,
    price,
    currency: "USD",
    stock,
    reserved: 0,
    images: [`https://images.example.com/generated/${sku.toLowerCase()}.jpg`],
    weightGrams: between(spec.weight),
    archived: false,
    createdAt,
    updatedAt: createdAt,
  };
}
