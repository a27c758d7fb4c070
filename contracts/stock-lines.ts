/**
 * A line of stock that moves together: what the catalog reserves, an order
 * buys and a parcel carries.
 */

export interface StockLine {
  productId: string;
  quantity: number;
}

/** One line per product, in the order products first appear: two lines of one product are one decrement. */
export function mergeLines(lines: StockLine[]): StockLine[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of lines) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
