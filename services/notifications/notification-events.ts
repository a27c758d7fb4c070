/**
 * The durable events the notifications service consumes, and what it needs
 * of each payload. Producers may send more fields (they are ignored); a
 * payload that lacks what is needed can never be rendered, so it is poison
 * (straight to the dead letters, where it can be inspected and replayed once
 * fixed).
 *
 * Order events come as the orders service builds them (orderEventPayload:
 * `{ orderId, userId, status, reason, order: <the order as its owner sees
 * it> }`) or flat; both are read. They may carry the customer's `email` and
 * `name`: the notifications service does not own users and learns addresses
 * only from events (user.registered, order events), keeping them in its
 * contacts.
 */
import { PoisonEventError } from "../../platform/events/dispatch";
import { ScrubbingValidator } from "../../platform/broker/scrubbing-validator";

export interface OrderLine {
  productId: string;
  sku?: string;
  name: string;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
}

interface OrderFacts {
  orderId: string;
  userId: string;
  email?: string;
  name?: string;
}

export interface OrderPaid extends OrderFacts {
  items: OrderLine[];
  subtotal: number;
  shippingCost: number;
  total: number;
  currency: string;
}

export interface OrderShipped extends OrderFacts {
  carrier: string;
  trackingNumber: string;
  estimatedDays?: number;
}

export type OrderDelivered = OrderFacts;

export interface OrderCancelled extends OrderFacts {
  reason?: string;
  /** What goes back to the card, when something was charged. */
  refundAmount?: number;
  currency?: string;
}

export interface PaymentRefunded {
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  brand?: string;
  last4?: string;
}

export interface UserRegistered {
  id: string;
  email: string;
  name: string;
}

/** A webhook endpoint failed for too long and was disabled (the webhooks service); told to the admin who created it. */
export interface WebhookDisabled {
  endpointId: string;
  url: string;
  reason: string;
  admin: { userId: string; email?: string; name?: string };
}

export type ConsumedEvent = "order.paid" | "order.shipped" | "order.delivered" | "order.cancelled" | "payment.refunded" | "user.registered" | "webhook.disabled";

export interface Payloads {
  "order.paid": OrderPaid;
  "order.shipped": OrderShipped;
  "order.delivered": OrderDelivered;
  "order.cancelled": OrderCancelled;
  "payment.refunded": PaymentRefunded;
  "user.registered": UserRegistered;
  "webhook.disabled": WebhookDisabled;
}

const id = { type: "string", min: 1, max: 100 };
const money = { type: "number", integer: true, min: 0 };
const currency = { type: "string", pattern: /^[A-Z]{3}$/ };
const text = (max: number) => ({ type: "string", min: 1, max });
const optional = <R extends object>(rule: R) => ({ ...rule, optional: true });
const orderFacts = { orderId: id, userId: id, email: optional({ type: "email" }), name: optional(text(200)) };

const LINE = {
  type: "object",
  props: { productId: id, sku: optional(text(100)), name: text(300), unitPrice: money, quantity: { type: "number", integer: true, min: 1 }, lineTotal: money },
};

const SCHEMAS: Record<ConsumedEvent, Record<string, unknown>> = {
  "order.paid": { ...orderFacts, items: { type: "array", min: 1, items: LINE }, subtotal: money, shippingCost: money, total: money, currency },
  "order.shipped": { ...orderFacts, carrier: text(100), trackingNumber: text(100), estimatedDays: optional({ type: "number", integer: true, min: 0 }) },
  "order.delivered": orderFacts,
  "order.cancelled": { ...orderFacts, reason: optional(text(500)), refundAmount: optional(money), currency: optional(currency) },
  "payment.refunded": { orderId: id, userId: id, amount: money, currency, brand: optional(text(50)), last4: optional({ type: "string", pattern: /^\d{4}$/ }) },
  "user.registered": { id, email: { type: "email" }, name: text(200) },
  "webhook.disabled": {
    endpointId: id,
    url: text(2048),
    reason: text(500),
    admin: { type: "object", props: { userId: id, email: optional({ type: "email" }), name: optional(text(200)) } },
  },
};

export const CONSUMED_EVENTS = Object.keys(SCHEMAS) as ConsumedEvent[];

type Check = (value: unknown) => true | { field?: string; message?: string }[];

const validator = new ScrubbingValidator();
const checks = Object.fromEntries(CONSUMED_EVENTS.map((event) => [event, validator.compile(SCHEMAS[event]) as unknown as Check])) as Record<ConsumedEvent, Check>;

export function isConsumedEvent(event: string): event is ConsumedEvent {
  return Object.prototype.hasOwnProperty.call(SCHEMAS, event);
}

/**
 * The facts of an order event with the order nested under `order` (the
 * orders service's payload), lifted to the top; the payload's own top-level
 * fields win. A cancelled order whose payment was (or is to be) refunded tells the amount.
 */
function withOrderFacts(payload: Record<string, unknown>): Record<string, unknown> {
  const order = payload.order;
  if (order === null || typeof order !== "object") return payload;
  const o = order as { items?: unknown; subtotal?: unknown; shippingCost?: unknown; total?: unknown; currency?: unknown; shipment?: { carrier?: unknown; trackingNumber?: unknown }; payment?: { status?: unknown } };
  const lifted: Record<string, unknown> = { items: o.items, subtotal: o.subtotal, shippingCost: o.shippingCost, total: o.total, currency: o.currency };
  if (o.shipment) Object.assign(lifted, { carrier: o.shipment.carrier, trackingNumber: o.shipment.trackingNumber });
  // Cancelled while paid: announced with the cancellation, before the refund it owes has run.
  const refunds = o.payment?.status === "refunded" || (payload.status === "cancelled" && o.payment?.status === "captured");
  if (refunds) lifted.refundAmount = o.total;
  for (const key of Object.keys(lifted)) if (lifted[key] === undefined) delete lifted[key];
  return { ...lifted, ...payload };
}

/** The payload, checked; PoisonEventError (dead letters at once) when it cannot be rendered. */
export function parsePayload<E extends ConsumedEvent>(event: E, payload: unknown): Payloads[E] {
  if (payload === null || typeof payload !== "object") throw new PoisonEventError(`${event}: the payload is not an object`);
  const facts = event.startsWith("order.") ? withOrderFacts(payload as Record<string, unknown>) : payload;
  const result = checks[event](facts);
  if (result !== true) throw new PoisonEventError(`${event}: ${result.map((r) => r.message ?? r.field).join("; ")}`);
  return facts as Payloads[E];
}

export interface Recipient {
  userId: string;
  email?: string;
  name?: string;
}

export function recipientOf<E extends ConsumedEvent>(event: E, payload: Payloads[E]): Recipient {
  if (event === "user.registered") {
    const user = payload as UserRegistered;
    return { userId: user.id, email: user.email, name: user.name };
  }
  if (event === "webhook.disabled") {
    const { userId, email, name } = (payload as WebhookDisabled).admin;
    return { userId, ...(email ? { email } : {}), ...(name ? { name } : {}) };
  }
  const { userId, email, name } = payload as OrderFacts;
  return { userId, ...(email ? { email } : {}), ...(name ? { name } : {}) };
}
