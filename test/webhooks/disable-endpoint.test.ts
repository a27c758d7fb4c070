/**
 * An endpoint that fails every attempt for WEBHOOKS_DISABLE_AFTER (3 days)
 * is disabled, its unfinished deliveries die (to be retried once it is
 * fixed) and the admin who created it finds a notification in their inbox.
 * The webhooks service's clock is moved forward rather than waited for.
 */
import NotificationsService from "../../services/notifications/notifications.service";
import type { ServiceSchema } from "moleculer";
import type { InboxPage } from "../../services/notifications/notification-inbox";
import { waitUntil } from "../support/wait-until";
import { startReceiver, type Receiver } from "./support/receiver";
import { ADMIN, orderPaid, startWebhooks, type WebhooksPlatform } from "./support/webhooks-platform";

const THREE_DAYS_MS = 3 * 24 * 3600_000;
const admin = { token: "token-admin" };

describe("an endpoint failing for three days", () => {
  let platform: WebhooksPlatform;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    // Retries far apart: the schedule must not run out before the clock moves.
    platform = await startWebhooks({ settings: { retrySchedule: "1s,1s,1s,1s,1s,1s" }, others: [{ name: "notifications", mixins: [NotificationsService] } as ServiceSchema] });
  });
  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
  });

  it("is disabled, its deliveries die and its admin is notified", async () => {
    const created = await platform.http.post<{ id: string }>("/admin/webhooks", { url: receiver.url, events: ["order.paid"] }, admin);
    receiver.answer(Array(100).fill(500));
    await platform.publish("order.paid", orderPaid());
    await waitUntil(() => receiver.received.length === 1, { description: "the first failed attempt", timeoutMs: 20_000 });

    const clock = platform.service as unknown as { now: () => number };
    clock.now = () => Date.now() + THREE_DAYS_MS;
    await waitUntil(async () => (await platform.http.get<{ enabled: boolean }>(`/admin/webhooks/${created.body.id}`, admin)).body.enabled === false, {
      description: "the endpoint to be disabled",
      timeoutMs: 20_000,
    });
    const endpoint = await platform.http.get<{ disabledReason: string }>(`/admin/webhooks/${created.body.id}`, admin);
    expect(endpoint.body.disabledReason).toMatch(/^every attempt failed since /);
    const deliveries = await platform.http.get<{ rows: { status: string }[] }>(`/admin/webhooks/${created.body.id}/deliveries`, admin);
    expect(deliveries.body.rows.map((d) => d.status)).toEqual(["dead"]);

    let inbox: InboxPage | undefined;
    await waitUntil(async () => (inbox = await platform.broker.call<InboxPage, object>("notifications.list", { page: 1, pageSize: 10 }, { meta: { user: ADMIN } })).rows.length === 1, {
      description: "the admin's notification",
      timeoutMs: 20_000,
    });
    expect(inbox?.rows[0]).toMatchObject({ kind: "webhook_disabled", title: "A webhook endpoint was disabled", data: { endpointId: created.body.id, url: receiver.url } });

    // Nothing goes to a disabled endpoint until an admin enables it again.
    expect((await platform.http.post(`/admin/webhooks/${created.body.id}/test`, {}, admin)).status).toBe(409);
  });
});
