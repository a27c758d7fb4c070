/**
 * What each consumed event tells the customer: a title (also the mail's
 * subject), a plain text body (the inbox entry and the mail's text part), an
 * HTML part for mail, and the facts a client may show on its own (`data`).
 * Pure functions; every value from an event is escaped in the HTML.
 */
import { formatMoney } from "./notification-money";
import type { ConsumedEvent, OrderCancelled, OrderDelivered, OrderPaid, OrderShipped, Payloads, PaymentRefunded, Recipient, UserRegistered, WebhookDisabled } from "./notification-events";

export type NotificationKind = "order_confirmation" | "order_shipped" | "order_delivered" | "order_cancelled" | "payment_refunded" | "welcome" | "webhook_disabled";

export interface Rendered {
  kind: NotificationKind;
  title: string;
  text: string;
  html: string;
  data: Record<string, unknown>;
}

const SHOP = "Moleculer Shop";

export const KIND_OF: Record<ConsumedEvent, NotificationKind> = {
  "order.paid": "order_confirmation",
  "order.shipped": "order_shipped",
  "order.delivered": "order_delivered",
  "order.cancelled": "order_cancelled",
  "payment.refunded": "payment_refunded",
  "user.registered": "welcome",
  "webhook.disabled": "webhook_disabled",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** A short, readable order reference: the id's last 8 characters. */
export function orderRef(orderId: string): string {
  return `#${orderId.slice(-8).toUpperCase()}`;
}

const greeting = (name: string | undefined) => `Hi ${name?.trim() || "there"},`;

/**
 * Greeting, the lead paragraph, an optional table (order lines), the other
 * paragraphs, signature: as text lines and as escaped HTML.
 */
function compose(kind: NotificationKind, title: string, name: string | undefined, paragraphs: [string, ...string[]], data: Record<string, unknown>, table?: string[][]): Rendered {
  const [lead, ...rest] = paragraphs;
  const blocks = [greeting(name), lead, ...(table ? [table.map((row) => row.filter(Boolean).join("  ")).join("\n")] : []), ...rest, SHOP];
  const cells = (row: string[]) => row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("");
  const html = [
    `<p>${escapeHtml(greeting(name))}</p>`,
    `<p>${escapeHtml(lead)}</p>`,
    ...(table ? [`<table>${table.map((row) => `<tr>${cells(row)}</tr>`).join("")}</table>`] : []),
    ...rest.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p>${SHOP}</p>`,
  ].join("\n");
  return { kind, title, text: blocks.join("\n\n"), html, data };
}

function orderConfirmation(p: OrderPaid): Rendered {
  const money = (amount: number) => formatMoney(amount, p.currency);
  const table = p.items.map((line) => [`${line.quantity} × ${line.name}${line.sku ? ` (${line.sku})` : ""}`, `${money(line.unitPrice)} each`, money(line.lineTotal)]);
  table.push(["Subtotal", "", money(p.subtotal)], ["Shipping", "", p.shippingCost === 0 ? "free" : money(p.shippingCost)], ["Total", "", money(p.total)]);
  return compose(
    "order_confirmation",
    `Order ${orderRef(p.orderId)} confirmed`,
    p.name,
    [`Thank you for your order ${orderRef(p.orderId)}. We have received your payment of ${money(p.total)}.`, "We will write again when it ships."],
    { orderId: p.orderId, total: p.total, currency: p.currency, itemCount: p.items.reduce((n, line) => n + line.quantity, 0) },
    table,
  );
}

function orderShipped(p: OrderShipped): Rendered {
  const eta = p.estimatedDays != null ? ` It should arrive within ${p.estimatedDays} day${p.estimatedDays === 1 ? "" : "s"}.` : "";
  return compose(
    "order_shipped",
    `Order ${orderRef(p.orderId)} has shipped`,
    p.name,
    [`Your order ${orderRef(p.orderId)} is on its way with ${p.carrier}.${eta}`, `Tracking number: ${p.trackingNumber}`],
    { orderId: p.orderId, carrier: p.carrier, trackingNumber: p.trackingNumber },
  );
}

function orderDelivered(p: OrderDelivered): Rendered {
  return compose("order_delivered", `Order ${orderRef(p.orderId)} was delivered`, p.name, [`Your order ${orderRef(p.orderId)} has been delivered. Enjoy!`], {
    orderId: p.orderId,
  });
}

function orderCancelled(p: OrderCancelled): Rendered {
  const refund = p.refundAmount && p.currency ? [`${formatMoney(p.refundAmount, p.currency)} will be refunded to your card.`] : [];
  return compose(
    "order_cancelled",
    `Order ${orderRef(p.orderId)} cancelled`,
    p.name,
    [`Your order ${orderRef(p.orderId)} has been cancelled${p.reason ? `: ${p.reason}` : "."}`, ...refund],
    { orderId: p.orderId, ...(p.refundAmount && p.currency ? { refundAmount: p.refundAmount, currency: p.currency } : {}) },
  );
}

function paymentRefunded(p: PaymentRefunded, name: string | undefined): Rendered {
  const card = p.brand && p.last4 ? `your ${p.brand} card ending in ${p.last4}` : "your card";
  return compose(
    "payment_refunded",
    `Refund of ${formatMoney(p.amount, p.currency)} for order ${orderRef(p.orderId)}`,
    name,
    [`We have refunded ${formatMoney(p.amount, p.currency)} to ${card} for order ${orderRef(p.orderId)}.`, "It may take a few days to show on your statement."],
    { orderId: p.orderId, amount: p.amount, currency: p.currency },
  );
}

function welcome(p: UserRegistered): Rendered {
  return compose("welcome", `Welcome to ${SHOP}`, p.name, [`Your account for ${p.email} is ready.`, "Happy shopping!"], {});
}

function webhookDisabled(p: WebhookDisabled, name: string | undefined): Rendered {
  return compose(
    "webhook_disabled",
    "A webhook endpoint was disabled",
    name,
    [`The webhook endpoint ${p.url} was disabled: ${p.reason}.`, "Its undelivered messages are kept as dead deliveries: fix the receiver, enable the endpoint again and retry them from the console."],
    { endpointId: p.endpointId, url: p.url },
  );
}

/** The notification of an event for its recipient (whose name the payment event lacks). */
export function render<E extends ConsumedEvent>(event: E, payload: Payloads[E], recipient: Recipient): Rendered {
  switch (event) {
    case "order.paid":
      return orderConfirmation(payload as OrderPaid);
    case "order.shipped":
      return orderShipped(payload as OrderShipped);
    case "order.delivered":
      return orderDelivered(payload as OrderDelivered);
    case "order.cancelled":
      return orderCancelled(payload as OrderCancelled);
    case "payment.refunded":
      return paymentRefunded(payload as PaymentRefunded, recipient.name);
    case "webhook.disabled":
      return webhookDisabled(payload as WebhookDisabled, recipient.name);
    default:
      return welcome(payload as UserRegistered);
  }
}
