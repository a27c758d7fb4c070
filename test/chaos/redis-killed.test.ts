/**
 * Chaos scenario 4 (issue #10): Redis, the catalog's cacher and the carts'
 * store, is killed while shoppers read the catalog and their carts. The
 * catalog is still served, every read of it; cart calls answer 503 in
 * docs/api.md's error shape; once Redis is back, carts work again without a
 * restart of any node, and the cache fills again.
 *
 * Node processes of the built project on a private NATS and a private Redis
 * (REDIS_URL on every node): a gateway, an accounts node, and a catalog node
 * with products and cart. test/cart/cart-redis-outage.test.ts covers the cart
 * service on a local broker; this is the same outage seen through the cluster.
 */
import Redis from "ioredis";
import { assertFreshBuild } from "../support/fresh-build";
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { percentile, runLoad, type LoadResult } from "./support/load";
import { reportScenario } from "./support/chaos-report";
import { apiErrorProblems, processStates, registerShopper, waitForRoutes, type Shopper } from "./support/infra-shop";

const LOAD_MS = 10_000;
const KILL_AT_MS = 2_000;
const WORKERS_PER_KIND = 3;

interface Product {
  id: string;
  price: number;
  stock: number;
}

type MetricValue = { labels: { action?: string; type?: string }; value: number };

interface CartView {
  items: { productId: string; quantity: number }[];
}

describe("chaos 4: Redis killed under catalog and cart load", () => {
  let nats: NatsServer;
  let redis: RedisServer;
  let admin: Redis;
  let cluster: Cluster;
  let http: ApiClient;
  let shopper: Shopper;
  let adminToken: string;
  /** The whole catalog: many keys, so that reads keep missing the gateway's short cache of catalog answers and reach products. */
  let products: Product[];
  /** Products with stock enough for the cart lines of the test. */
  let buyable: Product[];

  /** Keys of the catalog's cache in Redis (the cacher's prefix is MOL-<namespace>). */
  const cachedKeys = async () => (await admin.keys(`MOL-${cluster.namespace}*`)).length;
  /** The product reads the catalog node served itself (its own metrics): the reads that did not stop at the gateway. */
  async function productReadsServed(): Promise<number> {
    const node = cluster.nodes.find((n) => n.services.includes("products")) as ClusterNode;
    const metrics = await cluster.broker.call<{ values: MetricValue[] }[], object>("$node.metrics", { includes: "moleculer.request.total" }, { nodeID: node.nodeID, timeout: 5000 });
    return metrics
      .flatMap((m) => m.values)
      .filter((v) => v.labels.type === "local" && v.labels.action === "products.get")
      .reduce((sum, v) => sum + v.value, 0);
  }

  beforeAll(async () => {
    assertFreshBuild();
    [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
    admin.on("error", () => undefined);
    cluster = await startCluster({
      transporter: nats.url,
      env: { REDIS_URL: redis.url, LOG_LEVEL: "warn", RESERVATION_SWEEP_INTERVAL: "0" },
      nodes: [
        { services: ["api"], name: "gateway" },
        { services: ["users"], name: "accounts" },
        { services: ["products", "cart"], name: "catalog" },
      ],
    });
    http = api(`${cluster.gatewayUrl}/api`);
    // The gateway builds its routes shortly after it sees the services.
    await waitForRoutes(http, ["users", "products", "cart"]);
    products = (await http.get<{ rows: Product[] }>("/products?pageSize=100")).body.rows;
    buyable = products.filter((p) => p.stock >= 5);
    shopper = await registerShopper(http, "redis-chaos");
    // The admin of the development defaults (ADMIN_EMAIL/ADMIN_PASSWORD unset on the nodes).
    const login = await http.post<{ token: string }>("/auth/login", { email: "admin@shop.local", password: "admin-password-dev" });
    expect(login.status).toBe(200);
    adminToken = login.body.token;
    expect((await http.post("/cart/items", { productId: buyable[0].id, quantity: 1 }, { token: shopper.token })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it("serves every catalog read, answers 503 for carts while Redis is down, and recovers when it is back", async () => {
    const before = processStates(cluster.nodes);
    expect(await cachedKeys()).toBeGreaterThan(0);

    const cartErrors: string[] = [];
    const seen = { cart503: 0, catalogOkWhileDown: 0, servedByProductsWhileDown: 0 };
    let redisDown = false;
    const timeline = { killedAt: 0, restartedAt: 0, cartBackAt: 0 };
    const repriced = { id: buyable[2].id, price: buyable[2].price + 111 };

    async function readCatalog(worker: number, n: number): Promise<number> {
      const product = products[(worker * 5 + n) % products.length];
      const res = await http.get<Product>(`/products/${product.id}`, { timeoutMs: 30_000 });
      if (res.status === 200 && res.body.id !== product.id) throw new Error(`product ${product.id} answered ${res.text}`);
      if (res.status === 200 && redisDown) seen.catalogOkWhileDown++;
      return res.status;
    }

    async function readCart(): Promise<number> {
      const res = await http.get<CartView>("/cart", { token: shopper.token, timeoutMs: 30_000 });
      if (res.status === 503) {
        seen.cart503++;
        cartErrors.push(...apiErrorProblems(res.body, res.status));
        if (res.headers.get("retry-after") === null) cartErrors.push("503 without Retry-After");
        if ((res.body as { type?: string }).type !== "SERVICE_UNAVAILABLE") cartErrors.push(`type ${res.text}`);
      }
      return res.status;
    }

    const fault = async () => {
      const servedBefore = await productReadsServed();
      timeline.killedAt = Date.now();
      await redis.kill();
      redisDown = true;
      await waitUntil(async () => seen.cart503 >= 20 && seen.catalogOkWhileDown >= 50 && (seen.servedByProductsWhileDown = (await productReadsServed()) - servedBefore) >= 20, {
        description: "cart 503s, and catalog reads without Redis, some served by products itself",
        timeoutMs: 15_000,
      });
      // The catalog takes writes without Redis too, and shows them at once (no stale cache).
      const patched = await http.patch(`/products/${repriced.id}`, { price: repriced.price }, { token: adminToken });
      expect(patched.status).toBe(200);
      expect((await http.get<Product>(`/products/${repriced.id}`)).body.price).toBe(repriced.price);
      // Every cart write is refused the same way (not retried: no idempotency key).
      const writes = [
        await http.post("/cart/items", { productId: buyable[1].id, quantity: 1 }, { token: shopper.token }),
        await http.patch(`/cart/items/${buyable[0].id}`, { quantity: 2 }, { token: shopper.token }),
        await http.delete("/cart", undefined, { token: shopper.token }),
      ];
      for (const res of writes) {
        expect(res.status).toBe(503);
        expect(apiErrorProblems(res.body, res.status)).toEqual([]);
      }

      await redis.restart();
      redisDown = false;
      timeline.restartedAt = Date.now();
      // Reconnects come at most a second apart; an open circuit breaker on the cart may add its half-open wait (10 s).
      await waitUntil(async () => (await http.get("/cart", { token: shopper.token })).status === 200, {
        description: "the cart to answer 200 again after Redis restarted",
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      timeline.cartBackAt = Date.now();
    };

    const start = Date.now();
    const [catalog, cart]: LoadResult[] = await Promise.all([
      runLoad({ durationMs: LOAD_MS, concurrency: WORKERS_PER_KIND, request: readCatalog, during: { atMs: KILL_AT_MS, run: fault } }),
      runLoad({ durationMs: LOAD_MS, concurrency: WORKERS_PER_KIND, request: readCart, ok: (s) => s === 200 || s === 503 }),
    ]);

    // The catalog: every read served, with and without Redis.
    expect(catalog.failures.map((o) => `${o.startedAt} ms: ${o.status} ${o.error ?? ""}`).slice(0, 10)).toEqual([]);
    expect(seen.catalogOkWhileDown).toBeGreaterThanOrEqual(50);
    // Not only the gateway's short-lived copies: products itself served reads without its Redis cache.
    expect(seen.servedByProductsWhileDown).toBeGreaterThanOrEqual(20);
    // The cart: 200 or a clean 503, nothing else (no 500, no 504, no hang).
    expect(cart.failures.map((o) => `${o.startedAt} ms: ${o.status} ${o.error ?? ""}`).slice(0, 10)).toEqual([]);
    expect(cart.statusCounts["503"]).toBeGreaterThan(0);
    expect({ count: cartErrors.length, first: cartErrors.slice(0, 5) }).toEqual({ count: 0, first: [] });

    // Back: a new line in the cart (this Redis keeps nothing across a restart), read back.
    const added = await http.post<CartView>("/cart/items", { productId: buyable[1].id, quantity: 2 }, { token: shopper.token });
    expect(added.status).toBe(201);
    const got = await http.get<CartView>("/cart", { token: shopper.token });
    expect(got.status).toBe(200);
    expect(got.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ productId: buyable[1].id, quantity: 2 })]));
    // The price changed during the outage is the one served, and the cache fills again.
    expect((await http.get<Product>(`/products/${repriced.id}`)).body.price).toBe(repriced.price);
    await waitUntil(async () => (await http.get(`/products/${products[3].id}`)).status === 200 && (await cachedKeys()) > 0, {
      description: "catalog reads to be cached in Redis again",
      timeoutMs: 10_000,
    });
    // Logins (whose failure counts live in Redis) work again too.
    expect((await http.post("/auth/login", { email: shopper.email, password: "chaos monkey battery" })).status).toBe(200);
    // No node restarted.
    expect(processStates(cluster.nodes)).toEqual(before);

    const killMs = timeline.killedAt - start;
    const restartMs = timeline.restartedAt - start;
    const catalogWhileDown = catalog.outcomes.filter((o) => o.startedAt >= killMs && o.startedAt < restartMs);
    const cartBackMs = timeline.cartBackAt - timeline.restartedAt;
    reportScenario({
      scenario: "4 Redis killed",
      requests: catalog.requests + cart.requests,
      failures: catalog.failures.length + cart.failures.length,
      p99Ms: Math.round(percentile(catalogWhileDown.map((o) => o.latencyMs), 0.99)),
      dataChecks:
        `Redis down ${restartMs - killMs} ms; catalog 100% OK (${catalogWhileDown.length} reads without Redis, ${seen.servedByProductsWhileDown}+ by products itself), ` +
        `price change during outage served; ` +
        `cart ${cart.statusCounts["503"] ?? 0}x 503 in API shape, 200 again ${cartBackMs} ms after restart, new line added; cache refilled; same PIDs`,
    });
  }, 90_000);
});
