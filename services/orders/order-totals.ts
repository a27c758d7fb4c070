/**
 * The money of an order, from the catalog's current prices (never from the
 * client): its lines, subtotal and total in integer minor units of one
 * currency. Pure: the orders service looks the products up, this module does
 * the arithmetic and says which products cannot be sold.
 */
import { Errors } from "moleculer";
import { conflict } from "../../platform/errors";
import { mergeLines, type StockLine } from "../../contracts/stock-lines";

/** What products.getMany answers of a product, as far as an order needs it. */
export interface CatalogEntry {
  id: string;
  sku: string;
  name: string;
  price: number;
  currency: string;
  archived: boolean;
  /** Per unit; passed on to the shipping quote, so that it need not read the catalog again. */
  weightGrams?: number;
}

export interface OrderItem {
  productId: string;
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
}

export interface PricedItems {
  items: OrderItem[];
  currency: string;
  subtotal: number;
}

export interface OrderTotals {
  subtotal: number;
  shippingCost: number;
  total: number;
}

export type UnavailableReason = "unknown" | "archived";

/** A sum of cents that stays exact; anything past 2^53 would silently round. */
function exact(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} is not a whole number of cents: ${value}`);
  return value;
}

/** 422 EMPTY_CART: nothing to check out. `data` lists the field, as every 422 does. */
export function emptyCart() {
  const message = "The cart is empty: add products before checking out";
  const err = new Errors.MoleculerClientError(message, 422, "EMPTY_CART", [{ field: "cart", message, type: "empty" }]);
  err.name = "ValidationError";
  return err;
}

/**
 * The cart's lines priced from `catalog` (two lines of one product become
 * one). 409 PRODUCT_UNAVAILABLE names every product that is unknown or no
 * longer sold; 409 CURRENCY_MISMATCH when the products are priced in
 * different currencies (an order is paid in one).
 */
export function priceItems(lines: StockLine[], catalog: CatalogEntry[]): PricedItems {
  const byId = new Map(catalog.map((product) => [product.id, product]));
  const merged = mergeLines(lines);
  if (merged.length === 0) throw emptyCart();
  const unavailable: { productId: string; reason: UnavailableReason }[] = [];
  for (const { productId } of merged) {
    const product = byId.get(productId);
    if (!product) unavailable.push({ productId, reason: "unknown" });
    else if (product.archived) unavailable.push({ productId, reason: "archived" });
  }
  if (unavailable.length > 0) {
    const ids = unavailable.map((u) => u.productId).join(", ");
    throw conflict(`Some products in the cart are no longer sold: ${ids}`, "PRODUCT_UNAVAILABLE", { products: unavailable });
  }

  const items = merged.map(({ productId, quantity }): OrderItem => {
    const { sku, name, price } = byId.get(productId) as CatalogEntry;
    return { productId, sku, name, unitPrice: price, quantity, lineTotal: exact(price * quantity, `The line of ${sku}`) };
  });
  const currencies = [...new Set(merged.map(({ productId }) => (byId.get(productId) as CatalogEntry).currency))];
  if (currencies.length !== 1) {
    throw conflict(`The cart mixes currencies (${currencies.join(", ")}): an order is paid in one`, "CURRENCY_MISMATCH", { currencies });
  }
  const subtotal = exact(
    items.reduce((sum, item) => sum + item.lineTotal, 0),
    "The subtotal",
  );
  return { items, currency: currencies[0], subtotal };
}

export function orderTotals(subtotal: number, shippingCost: number): OrderTotals {
  exact(subtotal, "The subtotal");
  exact(shippingCost, "The shipping cost");
  return { subtotal, shippingCost, total: exact(subtotal + shippingCost, "The total") };
}
