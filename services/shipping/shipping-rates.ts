/**
 * Shipping rates: a price in integer cents from the method, the parcel's
 * weight and how far it goes (the zone of the destination, seen from the
 * shop's origin country, SHIPPING_ORIGIN_COUNTRY). Pure: the service looks up
 * the weights, this module does the arithmetic.
 *
 *   domestic      destination = origin
 *   regional      the same trading region as the origin (the EU, or North America)
 *   international everything else
 *
 * A rate is a base price covering the first 500 g plus a price per further
 * 500 g started. Standard shipping is free from FREE_SHIPPING_THRESHOLD of
 * subtotal (in every zone; 0 turns it off); express never is.
 */

import type { ShippingMethod } from "../../contracts/shipping-methods";

export type Zone = "domestic" | "regional" | "international";

/** The rate table is in this currency; a quote in another one is refused (no conversion here). */
export const RATE_CURRENCY = "USD";
export const WEIGHT_STEP_GRAMS = 500;

export interface Carrier {
  name: string;
  /** Prefix of its tracking numbers. */
  code: string;
}

interface Rate {
  baseCents: number;
  perStepCents: number;
  estimatedDays: number;
  carrier: Carrier;
}

const SHOP_POST: Carrier = { name: "ShopPost", code: "SP" };
const SWIFT: Carrier = { name: "SwiftExpress", code: "SX" };
const GLOBAL_POST: Carrier = { name: "GlobalPost", code: "GP" };

const RATES: Record<Zone, Record<ShippingMethod, Rate>> = {
  domestic: {
    standard: { baseCents: 499, perStepCents: 100, estimatedDays: 5, carrier: SHOP_POST },
    express: { baseCents: 1299, perStepCents: 200, estimatedDays: 2, carrier: SWIFT },
  },
  regional: {
    standard: { baseCents: 999, perStepCents: 200, estimatedDays: 8, carrier: SHOP_POST },
    express: { baseCents: 2499, perStepCents: 400, estimatedDays: 3, carrier: SWIFT },
  },
  international: {
    standard: { baseCents: 1499, perStepCents: 300, estimatedDays: 14, carrier: GLOBAL_POST },
    express: { baseCents: 3999, perStepCents: 600, estimatedDays: 5, carrier: SWIFT },
  },
};

const REGIONS: readonly ReadonlySet<string>[] = [
  // The 27 member states of the European Union: one customs territory.
  new Set("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split(" ")),
  new Set(["US", "CA", "MX"]),
];

export function zoneOf(origin: string, destination: string): Zone {
  if (origin === destination) return "domestic";
  return REGIONS.some((region) => region.has(origin) && region.has(destination)) ? "regional" : "international";
}

export interface QuoteInput {
  method: ShippingMethod;
  origin: string;
  destination: string;
  weightGrams: number;
  /** The order's subtotal in RATE_CURRENCY, when known: decides free standard shipping. */
  subtotal?: number;
  /** From this subtotal on, standard shipping is free; 0: never. */
  freeThreshold: number;
}

export interface Quote {
  method: ShippingMethod;
  /** Integer cents of `currency`. */
  amount: number;
  currency: string;
  carrier: string;
  estimatedDays: number;
  zone: Zone;
  weightGrams: number;
  free: boolean;
}

/** Weight steps past the first (which the base price covers). */
export function extraSteps(weightGrams: number): number {
  return Math.max(0, Math.ceil(weightGrams / WEIGHT_STEP_GRAMS) - 1);
}

/** Who carries a parcel of this method into this zone, and how long it takes. */
export function serviceFor(method: ShippingMethod, zone: Zone): { carrier: Carrier; estimatedDays: number } {
  const { carrier, estimatedDays } = RATES[zone][method];
  return { carrier, estimatedDays };
}

export function quoteShipping(input: QuoteInput): Quote {
  const zone = zoneOf(input.origin, input.destination);
  const rate = RATES[zone][input.method];
  const free = input.method === "standard" && input.freeThreshold > 0 && input.subtotal !== undefined && input.subtotal >= input.freeThreshold;
  const amount = free ? 0 : rate.baseCents + rate.perStepCents * extraSteps(input.weightGrams);
  return {
    method: input.method,
    amount,
    currency: RATE_CURRENCY,
    carrier: rate.carrier.name,
    estimatedDays: rate.estimatedDays,
    zone,
    weightGrams: input.weightGrams,
    free,
  };
}
