/**
 * The notifications service on a local broker (embedded mode: the in-process
 * durable bus), with a `users` stand-in whose resolveToken knows two
 * customers, so the gateway's auth runs for real. Events are published onto
 * the node's bus as a producer's outbox relay would.
 */
import { fakeUsersService } from "../../support/fake-users";
import type { Service, ServiceSchema } from "moleculer";
import NotificationsService, { type NotificationsSettings } from "../../../services/notifications/notifications.service";
import { acquireBus, releaseBus } from "../../../platform/events/bus-registry";
import type { EventBus, EventEnvelope } from "../../../platform/events/types";
import { newId } from "../../../platform/db/db-adapter";
import type { DeliveryLog } from "../../../services/notifications/notification-deliveries";
import type { InboxPage } from "../../../services/notifications/notification-inbox";
import type { AuthUser } from "../../../types/moleculer";
import { startLocalPlatform, type LocalPlatform } from "../../support/local-platform";
import { waitUntil } from "../../support/wait-until";

export const ADA: AuthUser = { id: "65a000000000000000000a01", email: "ada@example.com", name: "Ada", role: "customer" };
export const BO: AuthUser = { id: "65a000000000000000000b02", email: "bo@example.com", name: "Bo", role: "customer" };
export const TOKENS: Record<string, AuthUser> = { "token-ada": ADA, "token-bo": BO };

export interface NotificationsPlatform extends LocalPlatform {
  bus: EventBus;
  publish(event: string, payload: Record<string, unknown>, envelope?: Partial<EventEnvelope>): Promise<EventEnvelope>;
  inboxOf(user: AuthUser, page?: number, pageSize?: number): Promise<InboxPage>;
  deliveries: DeliveryLog;
  /** Every event handed to the notifications group is settled (handled or dead-lettered). */
  settled(): Promise<void>;
}

const usersStandIn = fakeUsersService(TOKENS);

export async function startNotifications(opts: { settings?: Partial<NotificationsSettings>; gateway?: boolean } = {}): Promise<NotificationsPlatform> {
  const services = [usersStandIn, { name: "notifications", mixins: [NotificationsService], settings: { smtpTimeoutMs: 5000, ...opts.settings } } as ServiceSchema];
  const platform = await startLocalPlatform({ services, gateway: opts.gateway ?? false, gatewaySettings: { expectedServices: ["notifications", "users"] } });
  const { broker } = platform;
  const bus = acquireBus(broker);
  const service = broker.getLocalService("notifications") as Service & { deliveries: DeliveryLog };

  return {
    ...platform,
    bus,
    deliveries: service.deliveries,
    async publish(event, payload, envelope = {}) {
      const full: EventEnvelope = { id: newId(), event, payload, occurredAt: new Date().toISOString(), ...envelope };
      await bus.publish(full);
      return full;
    },
    inboxOf: (user, page = 1, pageSize = 100) => broker.call<InboxPage, { page: number; pageSize: number }>("notifications.list", { page, pageSize }, { meta: { user } }),
    settled: () =>
      waitUntil(
        async () => {
          const stats = await bus.stats("notifications");
          return stats !== null && stats.pending === 0 && stats.unacked === 0;
        },
        { description: "notifications to settle every event", timeoutMs: 20_000, intervalMs: 20 },
      ),
    async stop() {
      await releaseBus(broker);
      await platform.stop();
      await bus.close();
    },
  };
}

export function orderPaid(user: AuthUser, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: newId(),
    userId: user.id,
    email: user.email,
    name: user.name,
    currency: "USD",
    items: [{ productId: "p1", sku: "MUG", name: "Mug", unitPrice: 1200, quantity: 2, lineTotal: 2400 }],
    subtotal: 2400,
    shippingCost: 500,
    total: 2900,
    ...overrides,
  };
}
