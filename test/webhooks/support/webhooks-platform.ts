/**
 * The webhooks service on a local broker (embedded mode: the in-process
 * durable bus) behind the gateway, with a `users` stand-in that knows an
 * admin and a customer. Events are published onto the bus as a producer's
 * outbox relay would. Retries wait milliseconds, not minutes.
 */
import type { Service, ServiceSchema } from "moleculer";
import WebhooksService, { type WebhooksSettings } from "../../../services/webhooks/webhooks.service";
import { acquireBus, releaseBus } from "../../../platform/events/bus-registry";
import type { EventBus, EventEnvelope } from "../../../platform/events/types";
import { newId } from "../../../platform/db/db-adapter";
import type { AuthUser } from "../../../types/moleculer";
import { fakeUsersService } from "../../support/fake-users";
import { startLocalPlatform, type LocalPlatform } from "../../support/local-platform";
import { api, type ApiClient } from "../../support/http";

export const ADMIN: AuthUser = { id: "65a000000000000000000ad1", email: "admin@example.com", name: "Admin", role: "admin" };
export const CUSTOMER: AuthUser = { id: "65a000000000000000000c01", email: "ada@example.com", name: "Ada", role: "customer" };

export interface WebhooksPlatform extends LocalPlatform {
  bus: EventBus;
  http: ApiClient;
  service: Service<WebhooksSettings>;
  publish(event: string, payload: Record<string, unknown>, envelope?: Partial<EventEnvelope>): Promise<EventEnvelope>;
}

export const FAST_RETRIES: Partial<WebhooksSettings> = { retrySchedule: "20ms,20ms,20ms", pollIntervalMs: 20, timeoutMs: 2_000 };

export async function startWebhooks(opts: { settings?: Partial<WebhooksSettings>; webhooks?: ServiceSchema; others?: ServiceSchema[]; logLevel?: string } = {}): Promise<WebhooksPlatform> {
  const services = [
    ...(opts.others ?? []),
    fakeUsersService({ "token-admin": ADMIN, "token-customer": CUSTOMER }),
    { name: "webhooks", mixins: [opts.webhooks ?? WebhooksService], settings: { ...FAST_RETRIES, ...opts.settings } } as ServiceSchema,
  ];
  const platform = await startLocalPlatform({ services, gateway: true, gatewaySettings: { expectedServices: ["webhooks", "users"] }, logLevel: opts.logLevel ?? process.env.TEST_LOG_LEVEL });
  const { broker } = platform;
  const bus = acquireBus(broker);
  return {
    ...platform,
    bus,
    http: api(`${platform.baseUrl}/api`),
    service: broker.getLocalService("webhooks") as unknown as Service<WebhooksSettings>,
    async publish(event, payload, envelope = {}) {
      const full: EventEnvelope = { id: newId(), event, payload, occurredAt: new Date().toISOString(), source: "test", ...envelope };
      await bus.publish(full);
      return full;
    },
    async stop() {
      await releaseBus(broker);
      await platform.stop();
      await bus.close();
    },
  };
}

/** `order.paid` as the orders service publishes it (orderEventPayload), trimmed to what receivers read. */
export function orderPaid(orderId = newId()): Record<string, unknown> {
  return {
    orderId,
    userId: CUSTOMER.id,
    email: CUSTOMER.email,
    status: "paid",
    at: new Date().toISOString(),
    order: { id: orderId, status: "paid", total: 2900, currency: "USD", items: [{ productId: "p1", name: "Mug", unitPrice: 1200, quantity: 2, lineTotal: 2400 }] },
  };
}
