/**
 * The orders process dies between an order's change to paid and the publish
 * of `order.paid` (FAULT_CRASH_BEFORE_PUBLISH): the order is stored paid and
 * marked with the event's id, the outbox entry is still pending without its
 * payload. Once an orders node is back, its relay finds the marked order,
 * makes the payload from it and publishes: the confirmation arrives, once;
 * the checkout retried with its Idempotency-Key answers the paid order.
 */
import type { ClusterNode } from "../support/cluster";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { mongoDatabaseName } from "../../platform/db/db-adapter";
import { outboxEventId } from "../../platform/events/outbox";
import { orderRef } from "../../services/notifications/notification-templates";
import { ADDRESS, newKey, payment } from "../orders/orders-platform";
import { startNotificationsCluster, type NotificationsCluster } from "../notifications/support/notifications-cluster";

// The 3.x driver of moleculer-db-adapter-mongo has no types: the little used here.
interface Collection {
  findOne(query: object): Promise<Record<string, any> | null>;
}
interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
const { MongoClient, ObjectID } = require("mongodb") as { MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> }; ObjectID: new (hex: string) => object };

const RECOVERY = { ORDER_STALE_AFTER: "3", ORDER_RECOVERY_INTERVAL: "1", OUTBOX_RELAY_INTERVAL: "1" };

describe("an orders process killed between an order's change to paid and its publish", () => {
  let platform: NotificationsCluster;
  let db: MongoClient;
  let http: ApiClient;
  let crashingOrders: ClusterNode;

  beforeAll(async () => {
    platform = await startNotificationsCluster([
      { services: ["api", "users", "products", "cart", "payments", "shipping"], name: "shop" },
      { services: ["orders"], name: "orders-crashing", env: { FAULT_CRASH_BEFORE_PUBLISH: "1", ...RECOVERY } },
      { services: ["notifications"], name: "notifications" },
    ]);
    crashingOrders = platform.cluster.nodes[1];
    http = api(`${platform.cluster.gatewayUrl}/api`);
    // moleculer-web builds its routes a moment after the services join: wait for the checkout's.
    await waitUntil(async () => (await http.get("/orders")).status !== 404, { description: "the orders routes", timeoutMs: 15_000, intervalMs: 100 });
    db = await MongoClient.connect(platform.mongo.uri, { useUnifiedTopology: true });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await platform?.stop();
  });

  const ordersDb = () => db.db(mongoDatabaseName(platform.mongo.uri, "orders"));

  it("still has the event delivered, once, after the restart", async () => {
    const email = `crash-publish-${newKey()}@example.com`;
    const registered = await http.post<{ token: string; user: { id: string } }>("/auth/register", { email, password: "correct horse battery", name: "Ada Crash" });
    expect(registered.status).toBe(201);
    const { token, user } = registered.body;
    const products = await http.get<{ rows: { id: string; stock: number }[] }>("/products?pageSize=50");
    const productId = products.body.rows.find((p) => p.stock >= 2)!.id;
    expect((await http.post("/cart/items", { productId, quantity: 1 }, { token })).status).toBe(201);

    const key = newKey("crash-publish");
    const checkout = () => http.post<{ id: string; status: string }>("/orders", { shippingAddress: ADDRESS, payment: payment() }, { token, headers: { "Idempotency-Key": key }, timeoutMs: 30_000 });
    const first = await checkout().then(
      (res) => res.status,
      () => "connection error",
    );
    expect([503, 504, "connection error"]).toContain(first);
    const exit = await crashingOrders.waitForExit();
    expect(exit.signal).toBe("SIGKILL");

    // Stored: the order paid and marked with its event; the event pending, not published.
    const order = await ordersDb().collection("orders").findOne({ userId: user.id });
    expect(order).toMatchObject({ status: "paid" });
    const orderId = String(order!._id);
    const eventId = outboxEventId("orders", "order.paid", orderId);
    expect(order!.outboxEvents).toEqual([eventId]);
    expect(await ordersDb().collection("outbox").findOne({ _id: new ObjectID(eventId) })).toMatchObject({ status: "pending", payload: null });
    await waitUntil(async () => ((await platform.bus.stats("notifications"))?.pending ?? 0) === 0, { description: "the welcome handled", timeoutMs: 20_000 });
    expect(platform.sink.mailsOf(eventId)).toEqual([]);

    await platform.cluster.addNode({ services: ["orders"], name: "orders-back", env: { ...platform.env, ...RECOVERY } });
    await waitUntil(() => platform.sink.mailsOf(eventId).length > 0, { description: "the order's confirmation", timeoutMs: 30_000 });
    const [mail] = platform.sink.mailsOf(eventId);
    expect(mail).toMatchObject({ kind: "order_confirmation", to: [email], subject: `Order ${orderRef(orderId)} confirmed` });

    // The retried checkout answers the paid order; nothing is announced twice.
    // Until recovery settles the key, a retry may only hear that the checkout is still running (or that
    // orders is not reachable yet: the killed node may stay in the gateway's registry for a heartbeat
    // timeout): never a failure, never another order. The answer that ends the wait is the replay.
    const before: string[] = [];
    let replay: Awaited<ReturnType<typeof checkout>> | undefined;
    await waitUntil(
      async () => {
        const res = await checkout();
        replay = res;
        if (res.status !== 201) before.push(`${res.status} ${(res.body as { type?: string }).type ?? res.text.slice(0, 80)}`);
        return res.status === 201;
      },
      { description: () => `the checkout's key settled by recovery (answers so far: ${before.join(", ")})`, timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(before.filter((answer) => !/^(409 IDEMPOTENCY_KEY_IN_PROGRESS|503 SERVICE_UNAVAILABLE|503 SERVICE_NOT_AVAILABLE)$/.test(answer))).toEqual([]);
    expect(replay?.body).toMatchObject({ id: orderId, status: "paid" });
    await platform.settled();
    expect(platform.sink.mailsOf(eventId)).toHaveLength(1);
    expect((await platform.stored("notifications")).filter((doc) => doc.eventId === eventId)).toHaveLength(1);
    expect(await ordersDb().collection("outbox").findOne({ _id: new ObjectID(eventId) })).toMatchObject({ status: "sent" });
  });
});
