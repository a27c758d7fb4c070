/**
 * Chaos scenario 8 (issue 8's promise, listed here with the others): when the
 * notifications service is down, people still sign up and order, and its
 * work is done once it is back. Every notifications node is stopped, 20
 * shoppers register and check out through the gateway (the real users,
 * cart, orders and payments services), one notifications node is started:
 * every welcome and every order confirmation arrives, each exactly once, in
 * the inbox and in the SMTP sink.
 *
 * The event ids are known ahead: an order is paid once, so `order.paid`'s id
 * is made from the order's (platform/events/outbox.ts outboxEventId).
 */
import type { ClusterNode } from "../support/cluster";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { outboxEventId } from "../../platform/events/outbox";
import { orderRef } from "../../services/notifications/notification-templates";
import { formatMoney } from "../../services/notifications/notification-money";
import { ADDRESS, newKey, payment } from "../orders/orders-platform";
import { occurrences, startNotificationsCluster, type NotificationsCluster } from "../notifications/support/notifications-cluster";
import { reportScenario } from "./support/chaos-report";

const SHOPPERS = 20;
const SHOP_SERVICES = ["api", "users", "products", "cart", "orders", "payments", "shipping"];

interface Placed {
  orderId: string;
  userId: string;
  email: string;
  total: number;
  currency: string;
}

describe("8 orders placed while every notifications node is down", () => {
  let platform: NotificationsCluster;
  let notificationsNode: ClusterNode;
  let http: ApiClient;

  beforeAll(async () => {
    platform = await startNotificationsCluster([
      { services: SHOP_SERVICES, name: "shop" },
      { services: ["notifications"], name: "notifications" },
    ]);
    notificationsNode = platform.cluster.nodes[1];
    http = api(`${platform.cluster.gatewayUrl}/api`);
    // moleculer-web builds its routes a moment after the services join: wait for the checkout's.
    await waitUntil(async () => (await http.get("/orders")).status !== 404, { description: "the orders routes", timeoutMs: 15_000, intervalMs: 100 });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  async function shopAndCheckOut(n: number, productId: string): Promise<{ placed: Placed; status: number }> {
    const email = `outage-${n}-${newKey()}@example.com`;
    const registered = await http.post<{ token: string; user: { id: string } }>("/auth/register", { email, password: "correct horse battery", name: `Shopper ${n}` });
    expect(registered.status).toBe(201);
    const { token, user } = registered.body;
    expect((await http.post("/cart/items", { productId, quantity: 2 }, { token })).status).toBe(201);
    const order = await http.post<{ id: string; status: string; total: number; currency: string }>(
      "/orders",
      { shippingAddress: ADDRESS, payment: payment() },
      { token, headers: { "Idempotency-Key": newKey("outage") }, timeoutMs: 30_000 },
    );
    return { status: order.status, placed: { orderId: order.body.id, userId: user.id, email, total: order.body.total, currency: order.body.currency } };
  }

  it("are all confirmed, each exactly once, when one node is back", async () => {
    const { cluster, sink } = platform;
    await notificationsNode.stop();

    const products = await http.get<{ rows: { id: string; stock: number }[] }>("/products?pageSize=50");
    const productId = products.body.rows.find((p) => p.stock >= 2 * SHOPPERS)?.id;
    expect(productId).toBeDefined();

    const started = Date.now();
    const latencies: number[] = [];
    const placed: Placed[] = [];
    for (let n = 0; n < SHOPPERS; n++) {
      const began = Date.now();
      const { status, placed: order } = await shopAndCheckOut(n, productId!);
      latencies.push(Date.now() - began);
      // Nobody to send mail to is no reason to refuse an order.
      expect(status).toBe(201);
      placed.push(order);
    }
    const shoppingMs = Date.now() - started;
    // Stored in the stream for the group (20 welcomes, 20 confirmations), nobody to take them yet.
    await waitUntil(async () => ((await platform.bus.stats("notifications"))?.pending ?? 0) >= 2 * SHOPPERS, {
      description: `${2 * SHOPPERS} events waiting for the notifications group`,
      timeoutMs: 20_000,
    });
    expect(sink.mails()).toEqual([]);

    await cluster.addNode({ services: ["notifications"], name: "notifications-back", env: platform.env });
    await waitUntil(() => sink.mails().length >= 2 * SHOPPERS, { description: `${2 * SHOPPERS} mails`, timeoutMs: 60_000 });
    await platform.settled();

    const mails = sink.mails();
    const confirmations = mails.filter((m) => m.kind === "order_confirmation");
    expect(confirmations).toHaveLength(SHOPPERS);
    expect(mails.filter((m) => m.kind === "welcome")).toHaveLength(SHOPPERS);
    const perEvent = occurrences(mails.map((m) => m.eventId));
    expect([...perEvent.values()].every((count) => count === 1)).toBe(true);
    for (const order of placed) {
      const [mail, ...more] = sink.mailsOf(outboxEventId("orders", "order.paid", order.orderId));
      expect(more).toEqual([]);
      expect(mail).toMatchObject({ kind: "order_confirmation", to: [order.email], subject: `Order ${orderRef(order.orderId)} confirmed` });
      expect(mail.raw.replace(/[ \t]+/g, " ")).toContain(`Total ${formatMoney(order.total, order.currency)}`);
    }
    const inbox = await platform.stored("notifications");
    const inboxPerEvent = occurrences(inbox.map((doc) => String(doc.eventId)));
    expect(placed.map((o) => inboxPerEvent.get(outboxEventId("orders", "order.paid", o.orderId)))).toEqual(placed.map(() => 1));
    expect(inbox).toHaveLength(2 * SHOPPERS);

    reportScenario({
      scenario: "8 notifications down",
      requests: SHOPPERS * 4,
      failures: 0,
      p99Ms: Math.max(...latencies),
      dataChecks: `${SHOPPERS} orders paid in ${shoppingMs} ms with notifications down; ${SHOPPERS} confirmations + ${SHOPPERS} welcomes, each once (inbox and SMTP)`,
    });
  });
});
