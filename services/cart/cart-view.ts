/**
 * The cart as a client sees it (docs/api.md "Cart"): the stored lines joined with
 * the catalog's current products, priced in integer cents.
 *
 * A line that cannot be bought as it stands stays in the cart (the customer
 * decides what to do with it) but is flagged with a `problem` and `available`
 * (the units that could be bought now), and it counts in neither `subtotal`
 * nor `itemCount`: those two always describe what a checkout could buy, so a
 * storefront never shows a total it cannot charge.
 */
import type { CartLine } from "./cart-store";

/** What the cart reads of a product (products.getMany answers more). */
export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  /** Integer cents. */
  price: number;
  currency: string;
  stock: number;
  archived: boolean;
}

/**
 * - `not_found`: the product is gone from the catalog (its id is unknown);
 * - `archived`: the product is no longer sold;
 * - `currency_mismatch`: priced in another currency than the rest of the cart
 *   (the catalog changed it; adding one is refused);
 * - `insufficient_stock`: fewer units in stock than the line holds.
 */
export type LineProblem = "not_found" | "archived" | "currency_mismatch" | "insufficient_stock";

export interface CartItem {
  productId: string;
  /** null only for a `not_found` product. */
  sku: string | null;
  name: string | null;
  unitPrice: number | null;
  quantity: number;
  lineTotal: number;
  /** Only on a line with a problem: how many units could be bought now. */
  available?: number;
  problem?: LineProblem;
}

export interface CartView {
  items: CartItem[];
  /** Units over the lines without a problem. */
  itemCount: number;
  /** Integer cents over the lines without a problem. */
  subtotal: number;
  /** null for a cart with nothing priced in it (empty, or only products no longer sold). */
  currency: string | null;
}

/** Products by id; null for an id the catalog was asked about and does not know. */
export type Catalog = ReadonlyMap<string, CatalogProduct | null>;

function times(cents: number, quantity: number): number {
  const total = cents * quantity;
  // Prices (<= 1e10) times quantities (<= 999) over 100 lines stay far below 2^53; this guards the bounds, not the arithmetic.
  if (!Number.isSafeInteger(total)) throw new RangeError(`Amount out of range: ${cents} x ${quantity}`);
  return total;
}

/**
 * The cart's currency: the one of its lines still on sale. Adding a product in
 * another currency is refused, so there is normally one; should the catalog
 * change a product's currency, the currency with most such lines wins (ties:
 * alphabetical, so the answer does not depend on order).
 */
export function cartCurrency(lines: CartLine[], products: Catalog): string | null {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const product = products.get(line.productId);
    if (product && !product.archived) counts.set(product.currency, (counts.get(product.currency) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [currency, count] of counts) {
    const bestCount = best === null ? 0 : (counts.get(best) ?? 0);
    if (count > bestCount || (count === bestCount && best !== null && currency < best)) best = currency;
  }
  return best;
}

function item(line: CartLine, product: CatalogProduct | null | undefined, currency: string | null): CartItem {
  if (!product) {
    return { productId: line.productId, sku: null, name: null, unitPrice: null, quantity: line.quantity, lineTotal: 0, available: 0, problem: "not_found" };
  }
  const base: CartItem = {
    productId: line.productId,
    sku: product.sku,
    name: product.name,
    unitPrice: product.price,
    quantity: line.quantity,
    lineTotal: times(product.price, line.quantity),
  };
  if (product.archived) return { ...base, available: 0, problem: "archived" };
  if (product.currency !== currency) return { ...base, available: product.stock, problem: "currency_mismatch" };
  if (product.stock < line.quantity) return { ...base, available: product.stock, problem: "insufficient_stock" };
  return base;
}

/** Lines by name (then sku, then id): a stable order a customer can follow, which a Redis hash does not keep. */
function byName(a: CartItem, b: CartItem): number {
  const key = (i: CartItem) => [i.name ?? "\uffff", i.sku ?? "", i.productId] as const;
  const [x, y] = [key(a), key(b)];
  for (let k = 0; k < x.length; k++) {
    const order = x[k].localeCompare(y[k]);
    if (order !== 0) return order;
  }
  return 0;
}

export function priceCart(lines: CartLine[], products: Catalog): CartView {
  if (lines.length === 0) return { items: [], itemCount: 0, subtotal: 0, currency: null };
  const currency = cartCurrency(lines, products);
  const items = lines.map((line) => item(line, products.get(line.productId), currency)).sort(byName);
  let itemCount = 0;
  let subtotal = 0;
  for (const i of items) {
    if (i.problem) continue;
    itemCount += i.quantity;
    subtotal += i.lineTotal;
  }
  return { items, itemCount, subtotal, currency };
}
