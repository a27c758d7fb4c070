/**
 * Chaos scenario 5 of issue #10: payments slower than the request timeout.
 *
 * Node processes of the built project on a private NATS and Redis (gateway,
 * users+products+cart, orders+shipping, payments), every one with a 2 s
 * request timeout and fault injection on. An admin adds latency to a
 * payments action (PUT /api/admin/faults): each call waits that long on the
 * payments node before its handler runs, long after its caller gave up.
 * Under a bounded load of checkouts every answer is 504 (the request timed
 * out) or 503 (a circuit breaker opened on the timeouts).
 *
 * The checkout charges in one call (payments.charge: authorized and
 * captured at once).
 *
 * Slow charges (4 s): the charge did not answer in time; the saga closes
 * its key at payments and releases the stock, and the charge that lands
 * afterwards takes nothing.
 *
 * Slow charges (9 s): they land when every checkout has long been
 * answered and rolled back, and after the recovery sweeper has looked again
 * at each order (ORDER_STALE_AFTER 4 s, every second). Asserted: no order
 * holds money, no stock stays reserved, the carts are kept, no checkout
 * sent its charge twice (no retry after the request's time was up).
 * Once the fault is lifted, the same Idempotency-Key checks out anew (its
 * first answer was a transient 504/503) and is charged once; sent again, it
 * answers that same order.
 */
import type { ClusterNode } from "../support/cluster";
import type { FaultedCalls } from "../../middlewares/fault-injection.middleware";
import type { ApiResponse } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { reportScenario } from "./support/chaos-report";
import { runLoad, summarize, type LoadResult, type Outcome } from "./support/load";
import {
  adminToken,
  checkout,
  holdingMoney,
  isErrorShape,
  newKey,
  requestMetric,
  shopData,
  shopperWithCart,
  startShop,
  type ErrorBody,
  type PublicOrderLike,
  type ShopCluster,
  type Shopper,
} from "./support/payments-shop";

const REQUEST_TIMEOUT_MS = 2000;
const STALE_AFTER_SEC = 4;
/** Above the request timeout, the saga's lease and a sweep together: the calls land after the sweeper's second look. */
const LATE_CHARGE_MS = 9000;
const SLOW_CHARGE_MS = 4000;
const STOCK = 100;
const BUYERS = 8;

describe("chaos 5: payments slower than the request timeout", () => {
  let shop: ShopCluster;
  let data: ReturnType<typeof shopData>;
  let admin: string;
  let ordersNode: ClusterNode;
  let paymentsNode: ClusterNode;
  const phases: { name: string; load: LoadResult; checks: string }[] = [];

  beforeAll(async () => {
    shop = await startShop(
      () => [
        { services: ["api"], name: "gateway" },
        { services: ["users", "products", "cart"], name: "shop" },
        { services: ["orders", "shipping"], name: "orders", env: { ORDER_STALE_AFTER: String(STALE_AFTER_SEC), ORDER_RECOVERY_INTERVAL: "1" } },
        { services: ["payments"], name: "payments" },
      ],
      { REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_MS), FAULT_INJECTION: "true" },
    );
    data = shopData(shop.cluster);
    admin = await adminToken(shop.http);
    ordersNode = shop.cluster.nodes.find((n) => n.services.includes("orders")) as ClusterNode;
    paymentsNode = shop.cluster.nodes.find((n) => n.services.includes("payments")) as ClusterNode;
  }, 120_000);

  afterAll(async () => {
    await shop?.stop();
  });

  /** Sets the fault rules of every node, as an admin does, and waits until the payments node applies them. */
  async function setFaults(rules: { target: string; latencyMs: number }[]): Promise<void> {
    expect((await shop.http.put("/admin/faults", { rules }, { token: admin })).status).toBe(200);
    await waitUntil(async () => JSON.stringify(await shop.cluster.broker.call("faults.list", {}, { nodeID: paymentsNode.nodeID })) === JSON.stringify(rules), {
      description: "the fault rules to reach the payments node",
      timeoutMs: 5000,
    });
  }

  /** `buyers` check out (one worker each) for `durationMs`; every answer must be 504 or 503 in docs/api.md's shape. */
  async function checkoutsUnderFault(buyers: Shopper[], durationMs: number): Promise<{ load: LoadResult; firstKeys: string[] }> {
    const firstKeys: string[] = [];
    const answers: { status: number; body: ErrorBody }[] = [];
    const load = await runLoad({
      durationMs,
      concurrency: buyers.length,
      ok: (status) => status === 503 || status === 504,
      request: async (worker, n) => {
        const key = newKey();
        if (n === 0) firstKeys[worker] = key;
        const res = await checkout<ErrorBody>(shop.http, buyers[worker].token, key, REQUEST_TIMEOUT_MS + 5000);
        answers.push({ status: res.status, body: res.body });
        return res.status;
      },
    });
    expect(load.failures.map((o) => `${o.startedAt} ms: ${o.status} ${o.error ?? ""}`)).toEqual([]);
    for (const answer of answers) expect(isErrorShape(answer.body, answer.status)).toBe(true);
    expect(answers.filter((a) => a.status === 504).length).toBeGreaterThan(0);
    return { load, firstKeys };
  }

  /** Calls to `action` the orders node has sent, and those the payments node's fault rule has received and let go of. */
  async function slowCalls(action: string): Promise<{ sent: number; arrived: number; running: number }> {
    const sent = await requestMetric(shop.cluster, ordersNode.nodeID, "moleculer.request.total", action, "remote");
    const calls = await shop.cluster.broker.call<FaultedCalls, object>("faults.calls", {}, { nodeID: paymentsNode.nodeID });
    return { sent, ...(calls[action] ?? { arrived: 0, running: 0 }) };
  }

  /**
   * Until the sagas are over (no order pending, none of their calls to
   * `action` waited for), then until every call to `action` the orders node
   * sent since `before` (taken before the fault was set) has reached the
   * payments node and none is still held or running there: the fault's own
   * count, as the caller stopped counting a call at its timeout.
   */
  async function slowCallsLanded(buyers: Shopper[], action: string, latencyMs: number, before: { sent: number; arrived: number }): Promise<void> {
    await waitUntil(
      async () => {
        const orders = (await Promise.all(buyers.map((b) => data.orders(b)))).flat();
        return orders.every((o) => o.status !== "pending") && (await requestMetric(shop.cluster, ordersNode.nodeID, "moleculer.request.active", action, "remote")) === 0;
      },
      { description: "the checkouts' sagas to end", timeoutMs: 30_000, intervalMs: 250 },
    );
    let last = "";
    await waitUntil(
      async () => {
        const now = await slowCalls(action);
        const sent = now.sent - before.sent;
        const arrived = now.arrived - before.arrived;
        last = `${sent} sent, ${arrived} arrived, ${now.running} held or running`;
        return sent > 0 && arrived >= sent && now.running === 0;
      },
      // Each call is held latencyMs, and all were sent by now: the last lands about that long from now.
      { description: () => `the slow ${action} calls to land (${last})`, timeoutMs: latencyMs + 30_000, intervalMs: 250 },
    );
  }

  /** A shopper's orders, each with its payment transactions as payments has them. */
  async function ordersWithPayments(shopper: Shopper) {
    const orders = await data.orders(shopper);
    return Promise.all(orders.map(async (order: PublicOrderLike) => ({ order, transactions: await data.transactions(order.id) })));
  }

  /** Every order of `buyers` failed and holds no money; their stock is back and their carts are kept. */
  async function nothingHeld(buyers: Shopper[], productId: string) {
    const orders = (await Promise.all(buyers.map((b) => ordersWithPayments(b)))).flat();
    expect(orders.length).toBeGreaterThanOrEqual(buyers.length);
    for (const { order, transactions } of orders) {
      expect({ order: order.id, status: order.status, held: holdingMoney(transactions) }).toEqual({ order: order.id, status: "failed", held: [] });
    }
    expect(await data.levels(productId)).toEqual({ stock: STOCK, reserved: 0 });
    for (const buyer of buyers) expect(await data.cart(buyer.userId)).toEqual([{ productId, quantity: 1 }]);
    return orders;
  }

  it("slow charges: 504 or 503, the charge's key is closed and the charge that lands later takes nothing", async () => {
    const { http } = shop;
    const productId = await data.createProduct(STOCK);
    const buyers: Shopper[] = [];
    for (let i = 0; i < BUYERS / 2; i++) buyers.push(await shopperWithCart(http, productId));

    const before = await slowCalls("payments.charge");
    await setFaults([{ target: "payments.charge", latencyMs: SLOW_CHARGE_MS }]);
    // One checkout each: every one reserves, then waits for its charge.
    const { load } = await checkoutsUnderFault(buyers, 500);
    await slowCallsLanded(buyers, "payments.charge", SLOW_CHARGE_MS, before);
    await setFaults([]);

    const orders = await nothingHeld(buyers, productId);
    // The saga closed the charge's key while the call was on its way: it landed on a closed key and made no transaction.
    for (const { order, transactions } of orders) {
      expect({ order: order.id, transactions: transactions.map((tx) => [tx.status, tx.captured]) }).toEqual({ order: order.id, transactions: [] });
    }

    phases.push({
      name: "charge",
      load,
      checks: `charge +${SLOW_CHARGE_MS} ms: ${load.statusCounts["504"] ?? 0}x 504, ${load.statusCounts["503"] ?? 0}x 503; ${orders.length} orders failed, nothing charged, reserved 0, carts kept`,
    });
  }, 120_000);

  it("charges landing after the sweeper's look: 504 or 503, they charge nobody and hold nothing; the same key then pays once", async () => {
    const { cluster, http } = shop;
    const productId = await data.createProduct(STOCK);
    const buyers: Shopper[] = [];
    for (let i = 0; i < BUYERS; i++) buyers.push(await shopperWithCart(http, productId));
    const chargeCalls = () => requestMetric(cluster, paymentsNode.nodeID, "moleculer.request.total", "payments.charge", "local");
    const callsBefore = await chargeCalls();

    const before = await slowCalls("payments.charge");
    await setFaults([{ target: "payments.charge", latencyMs: LATE_CHARGE_MS }]);
    const { load, firstKeys } = await checkoutsUnderFault(buyers, 5000);
    await slowCallsLanded(buyers, "payments.charge", LATE_CHARGE_MS, before);

    const afterFault = await nothingHeld(buyers, productId);
    // Each checkout sent its charge once at most: none was retried once the request's time was up.
    const charges = (await chargeCalls()) - callsBefore;
    expect(charges).toBeGreaterThan(0);
    expect(charges).toBeLessThanOrEqual(afterFault.length);
    const refunded = afterFault.filter(({ transactions }) => transactions.some((tx) => tx.status === "refunded")).length;
    const untouched = afterFault.filter(({ transactions }) => transactions.length === 0).length;

    // Payments are fast again: the first key of each buyer checks out anew (once the breakers let it through), charged once.
    await setFaults([]);
    const retried: number[] = [];
    for (let i = 0; i < BUYERS; i++) {
      let res: ApiResponse<PublicOrderLike> | undefined;
      await waitUntil(
        async () => {
          res = await checkout<PublicOrderLike>(http, buyers[i].token, firstKeys[i], REQUEST_TIMEOUT_MS + 5000);
          retried.push(res.status);
          return res.status === 201;
        },
        { description: `buyer ${i}'s retry with the same Idempotency-Key to be paid`, timeoutMs: 45_000, intervalMs: 500 },
      );
      const order = (res as ApiResponse<PublicOrderLike>).body;
      expect(order.status).toBe("paid");
      // Sent again: the same order, no new charge.
      const again = await checkout<PublicOrderLike>(http, buyers[i].token, firstKeys[i], REQUEST_TIMEOUT_MS + 5000);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(order.id);
    }
    // Until the breakers that opened on the timeouts let checkouts through again: 503.
    expect(retried.filter((s) => s !== 201 && s !== 503)).toEqual([]);

    // Each buyer: one paid order, captured once for its total; every other order failed and holds nothing.
    for (const buyer of buyers) {
      const own = await ordersWithPayments(buyer);
      const paid = own.filter(({ order }) => order.status === "paid");
      expect(paid).toHaveLength(1);
      const [{ order, transactions }] = paid;
      expect(order.payment.status).toBe("captured");
      expect(transactions.map((tx) => [tx.status, tx.captured, tx.refunded])).toEqual([["captured", order.total, 0]]);
      for (const other of own.filter((o) => o !== paid[0])) {
        const held = holdingMoney(other.transactions);
        expect({ order: other.order.id, status: other.order.status, held }).toEqual({ order: other.order.id, status: "failed", held: [] });
      }
    }
    expect(await data.levels(productId)).toEqual({ stock: STOCK - BUYERS, reserved: 0 });
    for (const buyer of buyers) expect(await data.cart(buyer.userId)).toEqual([]);

    phases.push({
      name: "late charge",
      load,
      checks:
        `charge +${LATE_CHARGE_MS} ms: ${load.statusCounts["504"] ?? 0}x 504, ${load.statusCounts["503"] ?? 0}x 503; once landed, ${afterFault.length} orders failed ` +
        `holding nothing (${untouched} never charged, ${refunded} refunded), reserved 0, carts kept, ${charges} slow charge calls in all; ` +
        `same key retried: ${BUYERS} paid, each captured once, replay = same order`,
    });

    const all: Outcome[] = phases.flatMap((p) => p.load.outcomes);
    const total = summarize(all, (status) => status === 503 || status === 504);
    reportScenario({
      scenario: "5 slow payments",
      requests: total.requests,
      failures: total.failures.length,
      p99Ms: total.p99Ms,
      dataChecks: phases.map((p) => p.checks).join("; "),
    });
  }, 150_000);
});
