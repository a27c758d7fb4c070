/**
 * The fingerprint of a checkout request, stored with its Idempotency-Key so
 * that the same key sent with another body is told apart (409) from a
 * replay of the same one.
 *
 * The card is a secret (PCI DSS): the fingerprint covers its brand, last four
 * digits and expiry, never the number or the CVC. A plain hash of the full
 * number would not hide it (a card number has few unknown digits once the
 * brand and last four are known, so it is found by trying them all), and a
 * keyed hash (HMAC) would need a secret shared by every orders node and its
 * rotation. Brand, last four and expiry tell apart the cards a client would
 * really mix up under one key, as the payments service's own fingerprint does.
 * Two different cards alike in all four under one key count as a replay: the
 * client promised that a key names one request.
 *
 * The body is fingerprinted after validation (trimmed, upper-cased country,
 * the default shipping method filled in), so equivalent spellings match.
 */
import { createHash } from "node:crypto";
import { cardBrand, last4 } from "../../../contracts/card";
import type { Address } from "../../../contracts/address";

export interface CheckoutBody {
  shippingAddress?: Address | null;
  shippingMethod: string;
  payment: { cardNumber: string; expMonth: number; expYear: number; cvc: string };
  displayCurrency?: string | null;
}

/** JSON with object keys sorted at every depth and undefined fields dropped: one spelling per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Hex SHA-256 of the canonical body, the card reduced to brand, last four and expiry. */
export function checkoutFingerprint(body: CheckoutBody): string {
  const { cardNumber, expMonth, expYear } = body.payment;
  const facts = {
    version: 1,
    shippingAddress: body.shippingAddress ?? null,
    shippingMethod: body.shippingMethod,
    card: { brand: cardBrand(cardNumber), last4: last4(cardNumber), expMonth, expYear },
    // Only when sent: keys of bodies without it keep the fingerprint they always had.
    ...(body.displayCurrency ? { displayCurrency: body.displayCurrency } : {}),
  };
  return createHash("sha256").update(canonicalJson(facts)).digest("hex");
}
