/**
 * "Customers also bought": products that shared paid orders with the ones
 * shown, each shared order counting less the older it is (it weighs half
 * after `halfLifeMs`), and the fill-up by same-category products near in
 * price when history is thin. Pure: the service reads and filters.
 */

/** One paid order as the recommendations keep it. */
export interface Basket {
  productIds: string[];
  paidAt: Date | string;
}

export interface Scored {
  productId: string;
  score: number;
}

/** Products bought with any of `anchors`, best first (ties by id); the anchors themselves never. */
export function coPurchased(baskets: Basket[], anchors: string[], now: Date, halfLifeMs: number): Scored[] {
  const anchorSet = new Set(anchors);
  const scores = new Map<string, number>();
  for (const basket of baskets) {
    const ids = new Set(basket.productIds);
    if (![...ids].some((id) => anchorSet.has(id))) continue;
    const age = Math.max(0, now.getTime() - new Date(basket.paidAt).getTime());
    const weight = 2 ** (-age / halfLifeMs);
    for (const id of ids) if (!anchorSet.has(id)) scores.set(id, (scores.get(id) ?? 0) + weight);
  }
  return [...scores]
    .map(([productId, score]) => ({ productId, score }))
    .sort((a, b) => b.score - a.score || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/** Nearest in price to `price` first (ties by id). */
export function nearestInPrice<T extends { id: string; price: number }>(products: T[], price: number): T[] {
  return [...products].sort((a, b) => Math.abs(a.price - price) - Math.abs(b.price - price) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** What a shopper can be offered: listed and in stock. */
export function offerable(product: { stock: number; archived?: boolean }): boolean {
  return product.archived !== true && product.stock > 0;
}
