/**
 * The order as stored and as answered, the params rules of the orders
 * actions, and the payload of the order events.
 *
 * Answers and events are built from a whitelist (`publicOrder`): the saga's
 * bookkeeping, the idempotency key and the internal failure record stay
 * inside the service. No card data is ever part of an order: the payment is
 * its status, transaction id, brand and last four digits, as the payments
 * service answers them.
 */
import type { Address } from "../../contracts/address";
import { addressRule } from "../../contracts/address";
import { cardRule, checkCard, type CardInput } from "../../contracts/card";
import type { IndexSpec } from "../../platform/db/db-adapter";
import type { PublicError } from "../../platform/public-error";
import type { OrderStatus, StatusChange } from "./order-state";
import { ORDER_STATUSES } from "./order-state";
import type { OrderItem } from "./order-totals";
import { METHOD_RULE, type ShippingMethod } from "../../contracts/shipping-methods";

export type OrderPaymentStatus = "pending" | "authorized" | "captured" | "voided" | "refunded" | "partially_refunded" | "declined" | "failed";

export interface OrderPayment {
  status: OrderPaymentStatus;
  transactionId: string | null;
  brand: string | null;
  last4: string | null;
}

/** The saga step last recorded on the order; each is written before the next starts. */
export const SAGA_STEPS = ["created", "reserved", "authorized", "captured", "committed", "paid", "compensated", "cancelling", "cancelled"] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

export interface SagaState {
  step: SagaStep;
  reserved: boolean;
  authorized: boolean;
  captured: boolean;
  committed: boolean;
  cartCleared: boolean;
  /**
   * What follows the change to paid is done (the cart cleared, the checkout's
   * answer kept; order.paid itself left with that change): until then a paid
   * order's lease is held. The name predates the outbox.
   */
  published: boolean;
  /** A compensation could not be finished (a callee was down): the sweeper runs the compensations again. */
  cleanup: boolean;
  /** The customer cancelled while the checkout ran: the saga stops before the payment is captured. */
  cancelRequested: boolean;
  /** Who drives the saga now (a random token per run); its writes are fenced by it. */
  owner: string | null;
  /** Epoch ms; past it, a sweeper may take the order over. */
  leaseUntil: number;
}

export interface ShipmentRef {
  carrier: string;
  trackingNumber: string;
}

export interface OrderDoc {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderItem[];
  subtotal: number;
  shippingCost: number;
  total: number;
  currency: string;
  shippingAddress: Address;
  shippingMethod: ShippingMethod;
  payment: OrderPayment;
  shipment?: ShipmentRef;
  /** Why it failed or was cancelled, for the customer. */
  failureReason?: string;
  /** The answer the checkout gave when it failed (replayed under its Idempotency-Key). */
  failure?: PublicError;
  /** The Idempotency-Key of the checkout that made it. */
  idempotencyKey: string;
  /** Who to tell (the buyer's account when they checked out): events carry it, so mail needs no lookup. */
  customer?: { email: string; name?: string };
  saga: SagaState;
  history: StatusChange[];
  createdAt: string;
  updatedAt: string;
}

/** An order as its owner (and an admin) sees it: no saga bookkeeping, key or internal failure record. */
export type PublicOrder = Omit<OrderDoc, "failure" | "idempotencyKey" | "saga" | "customer">;

export function publicOrder(doc: OrderDoc): PublicOrder {
  return {
    id: String(doc.id),
    userId: doc.userId,
    status: doc.status,
    items: doc.items.map(({ productId, sku, name, unitPrice, quantity, lineTotal }) => ({ productId, sku, name, unitPrice, quantity, lineTotal })),
    subtotal: doc.subtotal,
    shippingCost: doc.shippingCost,
    total: doc.total,
    currency: doc.currency,
    shippingAddress: { ...doc.shippingAddress },
    shippingMethod: doc.shippingMethod,
    payment: { status: doc.payment.status, transactionId: doc.payment.transactionId, brand: doc.payment.brand, last4: doc.payment.last4 },
    ...(doc.shipment ? { shipment: { carrier: doc.shipment.carrier, trackingNumber: doc.shipment.trackingNumber } } : {}),
    ...(doc.failureReason ? { failureReason: doc.failureReason } : {}),
    history: doc.history.map(({ status, at, reason }) => ({ status, at, reason })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export type OrderEvent = "order.paid" | "order.failed" | "order.cancelled" | "order.shipped" | "order.delivered";

/**
 * The payload of `event` (order.<status>) made from the order as its change
 * to that status left it, with the reason its history gives: the same when
 * the change is made and when the outbox relay remakes it after a crash.
 */
export function announcementOf(doc: OrderDoc, event: string) {
  const status = event.replace(/^order\./, "");
  const change = [...doc.history].reverse().find((entry) => entry.status === status);
  return orderEventPayload(doc, change?.reason);
}

/** An order as the shop's staff see it: what its owner sees, and who the owner is. */
export function adminOrder(doc: OrderDoc) {
  return { ...publicOrder(doc), ...(doc.customer ? { customer: { email: doc.customer.email, ...(doc.customer.name ? { name: doc.customer.name } : {}) } } : {}) };
}

/** What every order event carries: who and what for routing, the order as its owner sees it. */
export function orderEventPayload(doc: OrderDoc, reason?: string) {
  return {
    orderId: String(doc.id),
    userId: doc.userId,
    ...(doc.customer ? { email: doc.customer.email, ...(doc.customer.name ? { name: doc.customer.name } : {}) } : {}),
    status: doc.status,
    ...(reason ? { reason } : {}),
    at: new Date().toISOString(),
    order: publicOrder(doc),
  };
}

/** Listing a user's orders newest first; the sweeper's stale pending orders; the admin's status filter. */
export const ORDER_INDEXES: IndexSpec[] = [{ fields: ["userId", "createdAt"] }, { fields: ["status", "saga.leaseUntil"] }, { fields: ["status", "createdAt"] }];

// ---- params -----------------------------------------------------------------

export const STATUS_FILTER_RULE = { type: "enum", values: [...ORDER_STATUSES], optional: true } as const;

/** The card as a checkout sends it (docs/api.md). */
export interface PaymentInput {
  cardNumber: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

/** contracts/card.ts names the fields of payments' `card`; a checkout client sent these. */
const CARD_FIELDS: Record<string, string> = {
  card: "payment",
  "card.number": "payment.cardNumber",
  "card.expMonth": "payment.expMonth",
  "card.expYear": "payment.expYear",
  "card.cvc": "payment.cvc",
};
/** A field name, or the quoted field names in a message ("The 'card.cvc' field ..."). */
export const renamedCardField = (field: string) => CARD_FIELDS[field] ?? field;
const renamedText = (text: string) => text.replace(/'(card(?:\.\w+)?)'/g, (quoted, name: string) => (CARD_FIELDS[name] ? `'${CARD_FIELDS[name]}'` : quoted));

type ValidatorErrors = { type: string; field?: string; message?: string }[];

/**
 * The `payment` param of a checkout: the shape checks of contracts/card.ts's rule
 * and what a processor would refuse before any money moves (Luhn, CVC length,
 * expiry), so a bad card is a 422 before an order exists. Like that rule it
 * reports fields and never the rejected values, and it replaces the param by
 * the normalised card (digits only, four-digit year, unknown keys dropped).
 */
export const paymentRule = {
  type: "any",
  description: "The card: `{cardNumber, expMonth, expYear, cvc}`. Never stored, logged or traced.",
  custom(value: unknown, errors: ValidatorErrors): PaymentInput | null {
    if (value == null) return null; // the validator's own "required" error says it
    const raw = typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    const found: ValidatorErrors = [];
    const card = raw ? (cardRule.custom({ number: raw.cardNumber, expMonth: raw.expMonth, expYear: raw.expYear, cvc: raw.cvc }, found) as CardInput | null) : null;
    if (!raw) found.push({ type: "object", field: "card", message: "The 'payment' field must be an object with cardNumber, expMonth, expYear and cvc." });
    const problems: ValidatorErrors = card ? checkCard(card, new Date()) : found;
    for (const problem of problems) {
      errors.push({ type: problem.type, field: renamedCardField(problem.field ?? "card"), message: renamedText(problem.message ?? "") });
    }
    if (!card || problems.length > 0) return null;
    return { cardNumber: card.number, expMonth: card.expMonth, expYear: card.expYear, cvc: card.cvc };
  },
} as const;

/** payments.authorize's `card` from a checkout's `payment`. */
export function cardOf(payment: PaymentInput): CardInput {
  return { number: payment.cardNumber, expMonth: payment.expMonth, expYear: payment.expYear, cvc: payment.cvc };
}

export interface CheckoutParams {
  shippingAddress?: Address | null;
  shippingMethod: ShippingMethod;
  payment: PaymentInput;
}

export const CHECKOUT_PARAMS = {
  shippingAddress: { ...addressRule, optional: true },
  shippingMethod: METHOD_RULE,
  payment: paymentRule,
  $$strict: "remove",
} as const;

/** What a trace of the checkout may show: never the card, nor the address (personal data). */
export const TRACED_CHECKOUT_PARAMS = ["shippingMethod"];
