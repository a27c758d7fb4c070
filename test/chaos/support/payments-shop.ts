/**
 * What the payments chaos scenarios (2: payments down, 5: slow payments)
 * share: a shop cluster of the built project on a private NATS and Redis,
 * shoppers with a cart, checkouts over HTTP, the data behind the answers
 * (stock and reservations, payment transactions, orders, carts) read through
 * the in-test broker, and a recorder of the circuit breakers' broadcasts.
 */
import { randomBytes } from "node:crypto";
import type { Context } from "moleculer";
import { startCluster, type Cluster, type ClusterNodeSpec } from "../../support/cluster";
import { assertFreshBuild } from "../../support/fresh-build";
import { api, type ApiClient, type ApiResponse } from "../../support/http";
import { startMongo, type TestMongo } from "../../support/mongo";
import { startNatsServer, type NatsServer } from "../../support/nats-server";
import { startRedisServer, type RedisServer } from "../../support/redis-server";
import { waitUntil } from "../../support/wait-until";
import { untilAdmitted } from "./polite-client";

export const ADDRESS = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
export const APPROVED_CARD = "4242424242424242";

export const newKey = (prefix = "key") => `${prefix}-${randomBytes(6).toString("hex")}`;

export interface ShopCluster {
  cluster: Cluster;
  http: ApiClient;
  /** Set for nodes that keep their data across restarts (`mongo` of startShop). */
  mongoEnv: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A private NATS and Redis (cacher and carts), and the nodes of `nodes` on
 * them, every one with `env`. With `mongo`, a Mongo (the emulator unless
 * MONGO_URI is set) whose URI is in `mongoEnv`, for the nodes to pass it to;
 * the others keep their data in memory (NeDB), which a node that is stopped loses.
 */
export async function startShop(nodes: (mongoEnv: Record<string, string>) => ClusterNodeSpec[], env: Record<string, string>, opts: { mongo?: boolean } = {}): Promise<ShopCluster> {
  assertFreshBuild();
  let nats: NatsServer | undefined;
  let redis: RedisServer | undefined;
  let mongo: TestMongo | undefined;
  let cluster: Cluster | undefined;
  const stop = async () => {
    await cluster?.stop();
    await Promise.allSettled([nats?.stop(), redis?.stop(), mongo?.stop()]);
  };
  let mongoEnv: Record<string, string> = {};
  try {
    // One after the other, so that a failed start leaves nothing unstopped.
    nats = await startNatsServer();
    redis = await startRedisServer();
    if (opts.mongo) mongo = await startMongo();
    mongoEnv = mongo ? { MONGO_URI: mongo.uri } : {};
    cluster = await startCluster({
      transporter: nats.url,
      env: { LOG_LEVEL: "warn", CATALOG_CACHE: "false", PAYMENT_GATEWAY_LATENCY_MS: "5", REDIS_URL: `redis://127.0.0.1:${redis.port}`, ...env },
      nodes: nodes(mongoEnv),
      timeoutMs: 60_000,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const http = api(`${cluster.gatewayUrl}/api`);
  await routesReady(http);
  return { cluster, http, mongoEnv, stop };
}

/**
 * moleculer-web builds its routes a moment after it sees a service (and the
 * readiness route waits for services these clusters do not run): every route
 * the scenarios use answers something other than 404 first.
 */
export async function routesReady(http: ApiClient): Promise<void> {
  const probes = [
    () => http.get("/products?pageSize=1"),
    () => http.post("/auth/login", {}),
    () => http.get("/cart"),
    () => http.get("/orders"),
  ];
  await waitUntil(async () => (await Promise.all(probes.map((probe) => probe()))).every((res) => res.status !== 404), {
    description: "the gateway's routes of products, users, cart and orders",
    timeoutMs: 20_000,
    intervalMs: 200,
  });
}

/** How long a scenario's setup waits out a platform too busy to let its requests in. */
const SETUP_PATIENCE_MS = 60_000;

export interface Shopper {
  token: string;
  userId: string;
}

/** A new customer with `quantity` of `productId` in the cart. */
export async function shopperWithCart(http: ApiClient, productId: string, quantity = 1): Promise<Shopper> {
  const email = `chaos-${newKey("shopper")}@example.com`;
  const { res: registered } = await untilAdmitted(() => http.post<{ token: string; user: { id: string } }>("/auth/register", { email, password: "correct horse battery", name: "Chaos Shopper" }), { deadlineMs: SETUP_PATIENCE_MS });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.text}`);
  const { token, user } = registered.body;
  const { res: added } = await untilAdmitted(() => http.post("/cart/items", { productId, quantity }, { token }), { deadlineMs: SETUP_PATIENCE_MS });
  if (added.status !== 201) throw new Error(`adding to the cart answered ${added.status}: ${added.text}`);
  return { token, userId: user.id };
}

export async function adminToken(http: ApiClient): Promise<string> {
  // The development defaults of platform/config.ts (the nodes get no ADMIN_* variables).
  // A login changes nothing: sent again while the platform is too busy to let it in (503) or to answer in time (504).
  const login = async () => (await untilAdmitted(() => http.post<{ token: string }>("/auth/login", { email: "admin@shop.local", password: "admin-password-dev" }), { deadlineMs: SETUP_PATIENCE_MS })).res;
  let res = await login();
  for (let attempt = 1; res.status === 504 && attempt < 3; attempt++) res = await login();
  if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${res.text}`);
  return res.body.token;
}

export const checkoutBody = () => ({
  shippingAddress: ADDRESS,
  payment: { cardNumber: APPROVED_CARD, expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvc: "123" },
});

export function checkout<T = unknown>(http: ApiClient, token: string, key: string, timeoutMs = 30_000): Promise<ApiResponse<T>> {
  return http.post<T>("/orders", checkoutBody(), { token, headers: { "Idempotency-Key": key }, timeoutMs });
}

/** docs/api.md's error shape. */
export interface ErrorBody {
  name: string;
  message: string;
  code: number;
  type: string;
  data?: Record<string, unknown>;
}

export function isErrorShape(body: unknown, code: number): body is ErrorBody {
  const b = body as Partial<ErrorBody> | null;
  return b !== null && typeof b === "object" && typeof b.name === "string" && typeof b.message === "string" && b.code === code && typeof b.type === "string";
}

/** What the in-test broker reads of the data behind the answers. */
export function shopData(cluster: Cluster) {
  const call = <T>(action: string, params: Record<string, unknown> = {}, meta?: Record<string, unknown>) =>
    cluster.broker.call<T, Record<string, unknown>>(action, params, meta ? { meta } : undefined);
  return {
    call,
    async createProduct(stock: number): Promise<string> {
      const sku = `CHAOS-${randomBytes(4).toString("hex").toUpperCase()}`;
      const product = await call<{ id: string }>("products.create", {
        sku,
        name: "Chaos Widget",
        description: "A widget for chaos tests.",
        category: "chaos",
        price: 1999,
        currency: "USD",
        stock,
        images: [],
        weightGrams: 250,
      });
      return product.id;
    },
    /** `stock` is what can still be bought; `reserved` what checkouts hold. */
    async levels(productId: string): Promise<{ stock: number; reserved: number }> {
      const [product] = await call<{ stock: number; reserved: number }[]>("products.getMany", { ids: [productId] });
      return { stock: product.stock, reserved: product.reserved };
    },
    transactions(orderId: string) {
      return call<{ id: string; status: string; captured: number; refunded: number; amount: number }[]>("payments.listByOrder", { orderId });
    },
    cart(userId: string) {
      return call<{ productId: string; quantity: number }[]>("cart.contentsOf", { userId });
    },
    /** The shopper's orders as GET /orders answers them, newest first. */
    async orders(shopper: Shopper) {
      const page = await call<{ rows: PublicOrderLike[]; total: number }>("orders.list", { page: 1, pageSize: 100 }, { user: { id: shopper.userId, role: "customer" } });
      return page.rows;
    },
  };
}

/** The transactions that hold money on the card or took it: authorized, captured, partly refunded. */
export function holdingMoney<T extends { status: string }>(transactions: T[]): T[] {
  return transactions.filter((tx) => ["authorized", "captured", "partially_refunded"].includes(tx.status));
}

export interface PublicOrderLike {
  id: string;
  status: string;
  total: number;
  payment: { status: string; transactionId: string | null };
  failureReason?: string;
}

export interface BreakerEvent {
  event: "opened" | "half-opened" | "closed";
  /** The node whose breaker it is (the caller) and the endpoint's node and action. */
  sender: string;
  nodeID: string;
  action: string;
  at: number;
}

/**
 * Records every node's `$circuit-breaker.*` broadcasts (Moleculer sends them
 * to every node with a listener): a service on the in-test broker, announced
 * to the cluster, ready once every node of it knows the listener.
 */
export async function recordBreakers(cluster: Cluster): Promise<{ events: BreakerEvent[]; stop(): Promise<void> }> {
  const events: BreakerEvent[] = [];
  const name = `breaker-watch-${randomBytes(3).toString("hex")}`;
  const record = (event: BreakerEvent["event"]) =>
    function (this: unknown, ctx: Context<{ nodeID: string; action: string }>) {
      events.push({ event, sender: String(ctx.nodeID), nodeID: ctx.params.nodeID, action: ctx.params.action, at: Date.now() });
    };
  const service = cluster.broker.createService({
    name,
    events: {
      "$circuit-breaker.opened": record("opened"),
      "$circuit-breaker.half-opened": record("half-opened"),
      "$circuit-breaker.closed": record("closed"),
    },
  });
  // Every running node must have the listener in its registry before a broadcast reaches it.
  await waitUntil(
    async () => {
      for (const node of cluster.nodes.filter((n) => n.exitInfo() === undefined)) {
        const list = await cluster.broker.call<{ name: string }[], Record<string, boolean>>("$node.services", { onlyAvailable: true }, { nodeID: node.nodeID, timeout: 2000 });
        if (!list.some((s) => s.name === name)) return false;
      }
      return true;
    },
    { description: "every node to know the circuit-breaker listener", timeoutMs: 15_000, intervalMs: 200 },
  );
  return { events, stop: () => cluster.broker.destroyService(service) };
}

type MetricValue = { labels: Record<string, string | undefined>; value: number };

/** The sum of a request metric of Moleculer's (moleculer.request.active, .total) for `action` on one node, `type` local or remote. */
export async function requestMetric(cluster: Cluster, nodeID: string, metric: string, action: string, type: "local" | "remote"): Promise<number> {
  const metrics = await cluster.broker.call<{ values: MetricValue[] }[], object>("$node.metrics", { includes: metric }, { nodeID, timeout: 5000 });
  return metrics
    .flatMap((m) => m.values)
    .filter((v) => v.labels.action === action && v.labels.type === type)
    .reduce((sum, v) => sum + v.value, 0);
}
