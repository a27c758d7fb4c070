/**
 * The shop's events an endpoint may subscribe to, and what a receiver gets
 * of each: `{type, timestamp, data}` with `data` the producer's payload.
 * Order events carry the order as its owner sees it (no card data; the
 * orders service builds them), payment.refunded the refund, stock.low the
 * product and its stock.
 */
import type { EventEnvelope } from "../../platform/events/types";

export const WEBHOOK_EVENTS = ["order.paid", "order.cancelled", "order.shipped", "order.delivered", "payment.refunded", "stock.low"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Sent by `POST /api/admin/webhooks/:id/test`, to any endpoint whatever it subscribed to. */
export const TEST_EVENT = "webhook.test";

export function isWebhookEvent(event: string): event is WebhookEvent {
  return (WEBHOOK_EVENTS as readonly string[]).includes(event);
}

/**
 * What deliveries of one endpoint are kept in order by: the order an event
 * is about (deliveries for one order never overtake each other), null for
 * events about no order.
 */
export function orderKeyOf(payload: unknown): string | null {
  if (payload === null || typeof payload !== "object") return null;
  const orderId = (payload as { orderId?: unknown }).orderId;
  return typeof orderId === "string" && orderId !== "" ? orderId : null;
}

/** The JSON body of the message: the same bytes on every attempt. */
export function messageBody(type: string, occurredAt: string, data: unknown): string {
  return JSON.stringify({ type, timestamp: occurredAt, data });
}

/** Standard Webhooks message id of an event: one per event, the same on every retry. */
export function messageIdOf(envelope: Pick<EventEnvelope, "id">): string {
  return `msg_${envelope.id}`;
}
