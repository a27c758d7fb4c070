/**
 * The products' side of reservations (the StockLedger of services/products/reservations.ts)
 * on the products collection: each change is one atomic conditional update of
 * one product, so two nodes on one database can never take the same unit (a
 * take that crosses the low-stock threshold reads first: low-stock.ts).
 */
import { conflict, notFound } from "../../platform/errors";

import type { ProductDoc } from "./product-model";
import type { StockLedger } from "./reservations";
import { type StockLine } from "../../contracts/stock-lines";

/** What the DB mixin gives a service (mixins/db.mixin.ts). */
export interface ProductWrites {
  updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>, opts?: { cleans?: boolean }): Promise<Record<string, any> | null>;
  findEntityById(id: string): Promise<Record<string, any> | null>;
}

export interface LedgerHooks {
  /**
   * Takes `units` from a listed product's stock with `update` if it has that
   * many (with its stock.low when that crosses the threshold: low-stock.ts);
   * the product after, or null.
   */
  decrease(productId: string, units: number, update: Record<string, unknown>): Promise<ProductDoc | null>;
  /** After every change of `stock`. */
  stockMoved(doc: ProductDoc): void;
  /** After every change, with the stock before it: the ledger's writes leave cleaning the cache to this. */
  changed(doc: ProductDoc, before: number): Promise<void>;
  /** A product to give back to or settle on is gone: units stay counted as reserved. */
  lost(message: string): void;
}

export function productLedger(products: ProductWrites, hooks: LedgerHooks): StockLedger {
  const move = async (line: StockLine, filter: Record<string, unknown>, inc: Record<string, number>) => {
    const doc = (await products.updateWhere({ _id: line.productId, ...filter }, { $inc: inc }, { cleans: false })) as ProductDoc | null;
    if (!doc) return null;
    const before = doc.stock - (inc.stock ?? 0);
    await hooks.changed(doc, before);
    if (inc.stock) hooks.stockMoved(doc);
    return doc;
  };
  const lost = (what: string, line: StockLine) => hooks.lost(`Could not ${what} ${line.quantity} of product ${line.productId}: the product is gone`);

  return {
    async take(line) {
      const doc = await hooks.decrease(line.productId, line.quantity, { $inc: { stock: -line.quantity, reserved: line.quantity } });
      if (!doc) return false;
      await hooks.changed(doc, doc.stock + line.quantity);
      hooks.stockMoved(doc);
      return true;
    },
    // Giving back and settling ignore `archived`: an archived product still settles the orders that hold it.
    async putBack(line) {
      if (!(await move(line, {}, { stock: line.quantity, reserved: -line.quantity }))) lost("give back", line);
    },
    async settle(line) {
      if (!(await move(line, {}, { reserved: -line.quantity }))) lost("settle", line);
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
