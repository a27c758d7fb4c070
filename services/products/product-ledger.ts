/**
 * The products' side of reservations (the StockLedger of services/products/reservations.ts)
 * on the products collection: each call is one atomic conditional update of
 * one product, so two nodes on one database can never take the same unit (a
 * take that crosses the low-stock threshold reads first: low-stock.ts).
 */
import { conflict, notFound } from "../../platform/errors";

import type { ProductDoc } from "./product-model";
import type { Hold, StockLedger } from "./reservations";
import { type StockLine } from "../../contracts/stock-lines";

/** What the DB mixin gives a service (mixins/db.mixin.ts). */
export interface ProductWrites {
  updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>, opts?: { cleans?: boolean }): Promise<Record<string, any> | null>;
  findEntityById(id: string): Promise<Record<string, any> | null>;
}

export interface LedgerHooks {
  /**
   * Takes `units` from a listed product's stock with `update` if it has that
   * many and matches `filter` (with its stock.low when that crosses the
   * threshold: low-stock.ts); the product after, or null.
   */
  decrease(productId: string, units: number, update: Record<string, unknown>, only: { filter: Record<string, unknown>; refuses: (doc: ProductDoc) => boolean }): Promise<ProductDoc | null>;
  /** After every change of `stock`. */
  stockMoved(doc: ProductDoc): void;
  /** After every change, with the stock before it: the ledger's writes leave cleaning the cache to this. */
  changed(doc: ProductDoc, before: number): Promise<void>;
  /** A product to give back to or settle on is gone: units stay counted as reserved. */
  lost(message: string): void;
}

/**
 * The key under which a product records an order's hold (`holds.<key>` = the
 * attempt). Order ids may hold dots (products.service.ts ORDER_ID), which a
 * field name cannot; `~` is not allowed in an order id, so the mapping stays
 * one to one.
 */
export function holdKey(orderId: string): string {
  return orderId.replace(/\./g, "~");
}
const holdField = (orderId: string) => `holds.${holdKey(orderId)}`;

export function productLedger(products: ProductWrites, hooks: LedgerHooks): StockLedger {
  const move = async (line: StockLine, filter: Record<string, unknown>, update: Record<string, unknown>) => {
    const doc = (await products.updateWhere({ _id: line.productId, ...filter }, update, { cleans: false })) as ProductDoc | null;
    if (!doc) return null;
    const stockChange = (update.$inc as Record<string, number>).stock ?? 0;
    const before = doc.stock - stockChange;
    await hooks.changed(doc, before);
    if (stockChange) hooks.stockMoved(doc);
    return doc;
  };
  // A hold not found is the normal answer for a line never taken; only a product that is gone is worth a word.
  // A legacy line (no hold: a reservation written before holds existed) moves as it used to, unconditionally.
  const release = async (what: string, line: StockLine, hold: Hold | null, inc: Record<string, number>) => {
    const field = hold && holdField(hold.orderId);
    const moved = field ? await move(line, { [field]: hold.attempt }, { $inc: inc, $unset: { [field]: true } }) : await move(line, {}, { $inc: inc });
    if (moved) return true;
    if (!(await products.findEntityById(line.productId))) hooks.lost(`Could not ${what} ${line.quantity} of product ${line.productId}: the product is gone`);
    return false;
  };

  return {
    async take(line, hold) {
      const field = holdField(hold.orderId);
      const update = { $inc: { stock: -line.quantity, reserved: line.quantity }, $set: { [field]: hold.attempt } };
      // Not twice for one order: a product that holds the order's line already is not taken from again.
      const notHeld = { filter: { [field]: { $exists: false } }, refuses: (doc: ProductDoc) => doc.holds?.[holdKey(hold.orderId)] !== undefined };
      const doc = await hooks.decrease(line.productId, line.quantity, update, notHeld);
      if (!doc) return false;
      await hooks.changed(doc, doc.stock + line.quantity);
      hooks.stockMoved(doc);
      return true;
    },
    async holds(line, hold) {
      const doc = (await products.findEntityById(line.productId)) as ProductDoc | null;
      return doc?.holds?.[holdKey(hold.orderId)] === hold.attempt;
    },
    // Giving back and settling ignore `archived`: an archived product still settles the orders that hold it.
    putBack(line, hold) {
      return release("give back", line, hold, { stock: line.quantity, reserved: -line.quantity });
    },
    settle(line, hold) {
      return release("settle", line, hold, { reserved: -line.quantity });
    },
    async shortage(line) {
      return shortageOf(line, (await products.findEntityById(line.productId)) as ProductDoc | null);
    },
    async precheck(line) {
      const doc = (await products.findEntityById(line.productId)) as ProductDoc | null;
      return doc && !doc.archived && doc.stock >= line.quantity ? null : shortageOf(line, doc);
    },
  };
}

/** The answer to a line that could not be taken from `doc` (null: the product does not exist). */
function shortageOf(line: StockLine, doc: ProductDoc | null): Error {
  if (!doc) return notFound("Product", { productId: line.productId });
  const available = doc.archived ? 0 : doc.stock;
  return conflict(`Not enough stock of '${doc.name}': ${available} available, ${line.quantity} requested`, "OUT_OF_STOCK", {
    productId: line.productId,
    sku: doc.sku,
    requested: line.quantity,
    available,
  });
}
