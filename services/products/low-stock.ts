/**
 * `stock.low`, the durable event of a product's available stock falling
 * below the threshold, written in the same write as the stock change that
 * makes it fall (platform/events/outbox.ts: the entry is written ahead as
 * pending and the product is marked with its id by that very update), so a
 * crash between the change and the publish cannot lose it, and a change
 * that did not happen never announces it.
 *
 * Taking `units` from a stock `s` crosses the threshold `t` exactly when
 * t <= s < t + units. Most decreases cannot cross: they are written with a
 * filter that leaves out that range, one conditional update as before. A
 * decrease the filter refuses reads the product, and if it is in the range,
 * writes it conditional on the exact stock read, with the event (whose
 * payload is then known: the stock after is the one read minus `units`).
 * Another writer in between makes either write miss; it reads again.
 */
import type { Context } from "moleculer";
import { outboxMark } from "../../platform/events/outbox";
import { fellBelow } from "./inventory";
import type { ProductDoc } from "./product-model";

export type LowStockPayload = { id: string; sku: string; stock: number; threshold: number };

export interface LowStockStore {
  threshold: number;
  updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>, opts?: { cleans?: boolean }): Promise<Record<string, any> | null>;
  findEntityById(id: string): Promise<Record<string, any> | null>;
  commitWithEvent<T>(event: string, payload: Record<string, unknown>, change: (eventId: string) => Promise<T | null | undefined>, ctx?: Context): Promise<T | null | undefined>;
}

export interface StockDecrease {
  productId: string;
  units: number;
  /** Takes `units` from `stock` ($inc), maybe more ($set updatedAt, $inc reserved); no $push. */
  update: Record<string, unknown>;
  /** Conditions of the product's own beyond its stock, on fields `update` sets (a hold not taken yet). */
  filter?: Record<string, unknown>;
  /** Whether `filter` refuses the product as read: then no write can take from it, and none is tried again. */
  filterRefuses?: (doc: ProductDoc) => boolean;
  cleans?: boolean;
  ctx?: Context;
}

/** Reads between two writers are rare near a crossing; a decrease that lost this often gives up. */
const ATTEMPTS = 10;
/** Only listed products are taken from (an archived one still gets units back, elsewhere). */
const LISTED = { archived: { $ne: true } };

export function lowStockPayload(doc: Pick<ProductDoc, "id" | "sku">, stock: number, threshold: number): LowStockPayload {
  return { id: String(doc.id), sku: doc.sku, stock, threshold };
}

/**
 * Takes `units` from a product's stock if it has that many, with stock.low
 * when that crosses the threshold; answers the product after the change, or
 * null when it is gone, archived, or has fewer than `units`
 * (or lost to other writers ATTEMPTS times).
 */
export async function decreaseStock(store: LowStockStore, change: StockDecrease): Promise<ProductDoc | null> {
  const { productId, units, update, filter, filterRefuses, cleans, ctx } = change;
  const threshold = store.threshold;
  const write = (stock: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    store.updateWhere({ _id: productId, ...LISTED, ...filter, ...stock }, { ...update, ...extra }, { cleans }) as Promise<ProductDoc | null>;
  const notCrossing = { $or: [{ stock: { $gte: threshold + units } }, { stock: { $gte: units, $lt: threshold } }] };

  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const doc = await write(notCrossing);
    if (doc) return doc;
    const current = (await store.findEntityById(productId)) as ProductDoc | null;
    if (!current || current.archived || current.stock < units || filterRefuses?.(current)) return null;
    const before = current.stock;
    // Out of the range again: another writer moved it between the write and the read.
    if (!fellBelow(before, before - units, threshold)) continue;
    const crossed = await store.commitWithEvent("stock.low", lowStockPayload(current, before - units, threshold), (eventId) => write({ stock: before }, { $push: outboxMark(eventId) }), ctx);
    if (crossed) return crossed;
  }
  return null;
}
