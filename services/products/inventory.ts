/**
 * Stock arithmetic of the catalog, apart from storage so it is tested alone.
 * A product holds `stock` (what can still be bought) and `reserved` (held by
 * open reservations); what is physically there is their sum.
 */

export interface StockLevels {
  stock: number;
  reserved: number;
}

/** `{delta}` changes what is there (restock, write-off); `{set}` states what is there (a count). */
export type StockAdjustment = { delta: number } | { set: number };

export interface ConditionalUpdate {
  /** Added to the product's own filter (`_id`, not archived). */
  filter: Record<string, unknown>;
  update: Record<string, unknown>;
}

/**
 * The one conditional update that applies `adjustment` to a product last
 * read as `current`, or null when it would leave less than is reserved.
 * A delta needs no read to be safe (the filter keeps `stock` >= 0); a set
 * does (stock = set - reserved), so it only applies while `current` is
 * still what is stored.
 */
export function stockUpdate(adjustment: StockAdjustment, current: StockLevels): ConditionalUpdate | null {
  if ("delta" in adjustment) {
    const { delta } = adjustment;
    if (current.stock + delta < 0) return null;
    return { filter: delta < 0 ? { stock: { $gte: -delta } } : {}, update: { $inc: { stock: delta } } };
  }
  if (adjustment.set < current.reserved) return null;
  return {
    filter: { stock: current.stock, reserved: current.reserved },
    update: { $set: { stock: adjustment.set - current.reserved } },
  };
}

/** True when this change took the stock from at or above the threshold to below it. */
export function fellBelow(before: number, after: number, threshold: number): boolean {
  return before >= threshold && after < threshold;
}
