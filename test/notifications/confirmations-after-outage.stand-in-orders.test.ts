/**
 * Issue 8's promise: when the notifications service is down, people still
 * order, and its work is done once it is back. Every notifications node is
 * stopped, 20 orders are placed, one node is started: all 20 confirmations
 * arrive, each exactly once (inbox and mail).
 *
 * STAND-IN: the orders are placed by `order-desk` (test/events/fixtures), a
 * producer that writes the order and its `order.paid` through the outbox as
 * the orders service will. Once services/orders.service.ts exists, switch
 * this suite to it: run the orders group (orders, products, payments, cart,
 * users, api) instead of `order-desk`, place each order with POST /api/orders
 * (cart filled first, an Idempotency-Key, test card 4242424242424242) through
 * the gateway, and keep the assertions below as they are.
 */
import type { ClusterNode } from "../support/cluster";
import { waitUntil } from "../support/wait-until";
import { orderRef } from "../../lib/notification-templates";
import { occurrences, startNotificationsCluster, type NotificationsCluster } from "./support/notifications-cluster";

const ORDERS = 20;

interface Placed {
  orderId: string;
  status: string;
  eventId: string;
}

describe("orders placed while every notifications node is down", () => {
  let platform: NotificationsCluster;
  let notificationsNode: ClusterNode;

  beforeAll(async () => {
    platform = await startNotificationsCluster([
      { services: ["order-desk"], name: "orders-stand-in" },
      { services: ["notifications"], name: "notifications" },
    ]);
    notificationsNode = platform.cluster.nodes[1];
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it("are all confirmed, each exactly once, when one node is back", async () => {
    const { cluster, sink } = platform;
    await notificationsNode.stop();

    const placed: (Placed & { email: string })[] = [];
    for (let n = 0; n < ORDERS; n++) {
      const email = `buyer${n}@example.com`;
      const order = await cluster.broker.call<Placed, unknown>("order-desk.place", {
        userId: `65b0000000000000000${String(n).padStart(5, "0")}`,
        email,
        name: `Buyer ${n}`,
        items: [{ productId: "p1", name: "Mug", unitPrice: 1500, quantity: 2, lineTotal: 3000 }],
        shippingCost: 499,
        currency: "USD",
      });
      expect(order.status).toBe("paid");
      placed.push({ ...order, email });
    }
    // Stored in the stream for the group, nobody to take them yet.
    await waitUntil(async () => (await platform.bus.stats("notifications"))?.pending === ORDERS, { description: `${ORDERS} events waiting`, timeoutMs: 20_000 });
    expect(sink.mails()).toEqual([]);

    await cluster.addNode({ services: ["notifications"], name: "notifications-back" });
    await waitUntil(() => sink.mails().length >= ORDERS, { description: `${ORDERS} confirmations`, timeoutMs: 60_000 });
    await platform.settled();

    const mails = sink.mails();
    const perEvent = occurrences(mails.map((m) => m.eventId));
    expect(placed.map((p) => perEvent.get(p.eventId))).toEqual(placed.map(() => 1));
    expect(mails).toHaveLength(ORDERS);
    for (const order of placed) {
      const [mail] = sink.mailsOf(order.eventId);
      expect(mail).toMatchObject({ kind: "order_confirmation", to: [order.email], subject: `Order ${orderRef(order.orderId)} confirmed` });
      expect(mail.raw).toContain("Total  $34.99");
    }
    const inbox = occurrences((await platform.stored("notifications")).map((doc) => doc.eventId));
    expect(placed.map((p) => inbox.get(p.eventId))).toEqual(placed.map(() => 1));
  });
});
