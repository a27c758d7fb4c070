/**
 * The shipment as stored and as answered, its tracking number and event, and
 * the params rules of the shipping actions.
 */
import { randomInt } from "node:crypto";
import { addressRule, type Address } from "../../contracts/address";
import type { IndexSpec } from "../../platform/db/db-adapter";

import type { ShipmentStatus } from "./shipment-state";
import type { Carrier } from "./shipping-rates";
import { mergeLines, type StockLine } from "../../contracts/stock-lines";
import type { ShippingMethod } from "../../contracts/shipping-methods";

export interface ShipmentHistoryEntry {
  status: ShipmentStatus;
  at: string;
}

export interface ShipmentDoc {
  id: string;
  orderId: string;
  userId: string;
  method: ShippingMethod;
  carrier: string;
  trackingNumber: string;
  status: ShipmentStatus;
  address: Address;
  items: StockLine[];
  /** Total weight when the items were given, else null. */
  weightGrams: number | null;
  estimatedDays: number;
  history: ShipmentHistoryEntry[];
  /** ISO 8601, the same on NeDB and Mongo; also what the carrier timer compares. */
  createdAt: string;
  updatedAt: string;
}

export type Shipment = ShipmentDoc;

/** One shipment per order (create is idempotent by it); tracking numbers are unique too. */
export const SHIPMENT_INDEXES: IndexSpec[] = [
  { fields: ["orderId"], unique: true },
  { fields: ["trackingNumber"], unique: true },
  { fields: ["status", "updatedAt"] },
];

export function toShipment(doc: ShipmentDoc): Shipment {
  return {
    id: String(doc.id),
    orderId: doc.orderId,
    userId: doc.userId,
    method: doc.method,
    carrier: doc.carrier,
    trackingNumber: doc.trackingNumber,
    status: doc.status,
    address: { ...doc.address },
    items: (doc.items ?? []).map(({ productId, quantity }) => ({ productId, quantity })),
    weightGrams: doc.weightGrams ?? null,
    estimatedDays: doc.estimatedDays,
    history: doc.history.map(({ status, at }) => ({ status, at })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The payload of `shipment.updated`, sent on every change. */
export function shipmentEvent(doc: ShipmentDoc) {
  return { orderId: doc.orderId, userId: doc.userId, status: doc.status, trackingNumber: doc.trackingNumber, carrier: doc.carrier, at: doc.updatedAt };
}

/** The carrier's prefix and 12 random digits: 10^12 numbers per carrier, a clash is retried. */
export function trackingNumber(carrier: Carrier): string {
  let digits = "";
  for (let i = 0; i < 12; i++) digits += String(randomInt(10));
  return `${carrier.code}${digits}`;
}

/** Total grams of the lines; a line whose product is unknown is reported by its id. */
export function totalWeight(items: StockLine[], weights: Map<string, number>): { grams: number; unknown: string | null } {
  let grams = 0;
  for (const line of mergeLines(items)) {
    const weight = weights.get(line.productId);
    if (weight === undefined) return { grams: 0, unknown: line.productId };
    grams += weight * line.quantity;
  }
  return { grams, unknown: null };
}

// ---- params -----------------------------------------------------------------

export const ITEMS_RULE = {
  type: "array",
  min: 1,
  max: 100,
  items: {
    type: "object",
    strict: "remove",
    props: { productId: { type: "string", min: 1, max: 100 }, quantity: { type: "number", integer: true, min: 1, max: 10_000 } },
  },
} as const;

/**
 * A quote's lines may carry their weight (grams per unit), as the checkout
 * read it from the catalog moments before: then the quote needs no second
 * catalog read. Lines without one are weighed from the catalog.
 */
export const QUOTE_ITEMS_RULE = {
  ...ITEMS_RULE,
  items: { ...ITEMS_RULE.items, props: { ...ITEMS_RULE.items.props, weightGrams: { type: "number", integer: true, min: 0, max: 10_000_000, optional: true } } },
} as const;

/** A quote's line: its weight per unit when the caller knows it. */
export interface WeighedLine extends StockLine {
  weightGrams?: number;
}

/** The weights the lines carry, or null when one of them has none. */
export function carriedWeights(items: WeighedLine[]): Map<string, number> | null {
  const weights = new Map<string, number>();
  for (const line of items) {
    if (line.weightGrams === undefined) return null;
    weights.set(line.productId, line.weightGrams);
  }
  return weights;
}

const optional = <R extends object>(rule: R) => ({ ...rule, optional: true });

/** A quote needs only the country; the other address fields may come and are dropped. */
export const QUOTE_ADDRESS_RULE = {
  type: "object",
  strict: "remove",
  props: {
    country: addressRule.props.country,
    line1: optional(addressRule.props.line1),
    line2: optional(addressRule.props.line2),
    city: optional(addressRule.props.city),
    postalCode: optional(addressRule.props.postalCode),
  },
} as const;
