/**
 * The orders node dies in the middle of a checkout, for real: node
 * processes of the built project (`npm run build` first) on a private NATS,
 * the orders nodes on one MongoDB (the emulator unless MONGO_URI is set), and
 * the orders process started with FAULT_CRASH_AFTER_STEP exits right after
 * recording that saga step. The client's request fails; an orders node
 * started afterwards, without the fault, finds the stale order with its
 * recovery sweeper and ends it paid or failed, with stock and payment
 * consistent, and the Idempotency-Key answering accordingly.
 */
import { assertFreshBuild } from "../support/fresh-build";
import { BUILT_PROJECT, startCluster, type BuiltProject, type Cluster, type ClusterNode } from "../support/cluster";
import { api, type ApiClient } from "../support/http";
import { startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";
import { productBody } from "../products/catalog-platform";
import { ADDRESS, futureYear, newKey } from "./orders-platform";
import type { PublicOrder } from "../../services/orders/order-model";

const PROJECT: BuiltProject = BUILT_PROJECT;

interface Transaction {
  status: string;
}

describe("an orders node that dies in the middle of a checkout", () => {
  let mongo: TestMongo;
  let nats: NatsServer;
  let cluster: Cluster;
  let http: ApiClient;
  let ordersNode: ClusterNode;

  /** The orders nodes share one database; the sweeper looks every second for sagas stopped 3 s ago. */
  const ordersEnv = (fault?: string) => ({
    MONGO_URI: mongo.uri,
    // Short, and still above a step's longest run (REQUEST_TIMEOUT + 1 s, platform/setting-conflicts.ts).
    REQUEST_TIMEOUT: "2000",
    ORDER_STALE_AFTER: "3",
    ORDER_RECOVERY_INTERVAL: "1",
    ...(fault ? { FAULT_CRASH_AFTER_STEP: fault } : {}),
  });
  const call = <T>(action: string, params: Record<string, unknown>) => cluster.broker.call<T, Record<string, unknown>>(action, params);

  /** A new orders node; readiness waits until the gateway routes checkouts to it. */
  async function startOrders(fault?: string): Promise<ClusterNode> {
    const node = await cluster.addNode({ services: ["orders"], name: fault ? `orders-crash-${fault}` : "orders", env: ordersEnv(fault) });
    // moleculer-web rebuilds its routes a moment after a service joins.
    await waitUntil(async () => (await http.get("/orders")).status !== 404, { description: "the orders routes", timeoutMs: 10_000, intervalMs: 100 });
    return node;
  }

  /** A fresh shopper with 2 units of a fresh product (stock 10) in the cart. */
  async function shopperWithCart() {
    const email = `crash-${newKey()}@example.com`;
    const registered = await http.post<{ token: string; user: { id: string } }>("/auth/register", { email, password: "correct horse battery", name: "Crash Test" });
    expect(registered.status).toBe(201);
    const { token, user } = registered.body;
    const product = await call<{ id: string }>("products.create", productBody({ stock: 10 }));
    expect((await http.post("/cart/items", { productId: product.id, quantity: 2 }, { token })).status).toBe(201);
    return { token, userId: user.id, productId: product.id };
  }

  const checkout = (token: string, key: string) =>
    http.post<PublicOrder>(
      "/orders",
      { shippingAddress: ADDRESS, payment: { cardNumber: "4242424242424242", expMonth: 12, expYear: futureYear(), cvc: "123" } },
      { token, headers: { "Idempotency-Key": key }, timeoutMs: 30_000 },
    );

  /** The request to a node that exits mid-way fails: 503 (node gone) or 504 (timed out), or the connection drops. */
  async function checkoutThatCrashes(token: string, key: string): Promise<void> {
    const status = await checkout(token, key).then(
      (res) => res.status,
      () => "connection error",
    );
    expect([503, 504, "connection error"]).toContain(status);
    expect((await ordersNode.waitForExit()).code).toBe(1);
  }

  async function levels(productId: string) {
    const [product] = await call<{ stock: number; reserved: number }[]>("products.getMany", { ids: [productId] });
    return { stock: product.stock, reserved: product.reserved };
  }

  async function settledOrder(token: string): Promise<PublicOrder> {
    let order: PublicOrder | undefined;
    await waitUntil(
      async () => {
        const res = await http.get<{ rows: PublicOrder[] }>("/orders", { token });
        order = res.body.rows?.[0];
        return order !== undefined && order.status !== "pending";
      },
      { description: "the recovery sweeper to settle the stopped order", timeoutMs: 30_000, intervalMs: 250 },
    );
    return order as PublicOrder;
  }

  beforeAll(async () => {
    assertFreshBuild();
    mongo = await startMongo();
    nats = await startNatsServer();
    cluster = await startCluster({
      transporter: nats.url,
      project: PROJECT,
      env: { LOG_LEVEL: "warn", CATALOG_CACHE: "false", PAYMENT_GATEWAY_LATENCY_MS: "5" },
      nodes: [
        { services: ["api"], name: "gateway" },
        { services: ["users"], name: "accounts" },
        { services: ["products", "cart"], name: "catalog" },
        { services: ["payments", "shipping"], name: "checkout" },
      ],
    });
    http = api(`${cluster.gatewayUrl}/api`);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
    await mongo?.stop();
  });

  it("after the reservation, before the charge: the restarted node rolls the order back (failed, stock released, nothing charged)", async () => {
    ordersNode = await startOrders("reserved");
    const { token, userId, productId } = await shopperWithCart();
    const key = newKey();
    await checkoutThatCrashes(token, key);

    ordersNode = await startOrders();
    const order = await settledOrder(token);
    expect(order).toMatchObject({ status: "failed", failureReason: expect.stringContaining("interrupted") });
    expect(await levels(productId)).toEqual({ stock: 10, reserved: 0 });
    expect(await call<Transaction[]>("payments.listByOrder", { orderId: order.id })).toEqual([]);
    expect(await call("cart.contentsOf", { userId })).toEqual([{ productId, quantity: 2 }]);

    // Nothing was charged and the client never got an answer: the same key checks out anew.
    const retried = await checkout(token, key);
    expect(retried.status).toBe(201);
    expect(retried.body.id).not.toBe(order.id);
    expect(await levels(productId)).toEqual({ stock: 8, reserved: 0 });
  }, 120_000);

  it("after the charge: the restarted node completes the order (paid, stock committed, payment captured, cart emptied)", async () => {
    await ordersNode.stop();
    ordersNode = await startOrders("captured");
    const { token, userId, productId } = await shopperWithCart();
    const key = newKey();
    await checkoutThatCrashes(token, key);

    ordersNode = await startOrders();
    const order = await settledOrder(token);
    expect(order).toMatchObject({ status: "paid", payment: { status: "captured" } });
    expect(await levels(productId)).toEqual({ stock: 8, reserved: 0 });
    expect((await call<Transaction[]>("payments.listByOrder", { orderId: order.id })).map((tx) => tx.status)).toEqual(["captured"]);
    expect(await call("cart.contentsOf", { userId })).toEqual([]);

    // The key answers the order the crashed request was making.
    const replay = await checkout(token, key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(order.id);
  }, 120_000);
});
