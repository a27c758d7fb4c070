/**
 * A test service that records durable events (outbox -> bus), the way real
 * consumers get them: through ChannelsMixin, not Moleculer's own events.
 */
import type { Context, ServiceSchema } from "moleculer";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import type { EventEnvelope } from "../../platform/events/types";

export interface RecordedEvent<P = Record<string, any>> {
  /** The envelope's id: the outbox entry it was published from. */
  id?: string;
  event: string;
  payload: P;
}

export const ORDER_EVENTS = ["order.paid", "order.failed", "order.cancelled", "order.shipped", "order.delivered"];
/** payments' durable event; its others are Moleculer events (PAYMENT_SIGNALS). */
export const PAYMENT_EVENTS = ["payment.refunded"];
export const PAYMENT_SIGNALS = ["payment.authorized", "payment.captured", "payment.voided", "payment.failed"];

export function durableEventRecorder(name: string, events: string[], seen: RecordedEvent[], extra: Partial<ServiceSchema> = {}): ServiceSchema {
  const record = (envelope: EventEnvelope<Record<string, any>>, _ctx: Context) => void seen.push({ id: envelope.id, event: envelope.event, payload: envelope.payload });
  return { name, ...extra, mixins: [ChannelsMixin(Object.fromEntries(events.map((event) => [event, record])))] } as ServiceSchema;
}
