/**
 * The business metrics of platform/broker/metrics.ts recorded by the real services: one
 * local broker with metrics on (the platform's exposition on a free port),
 * the real users, products, cart, payments, shipping and orders services
 * behind the gateway, and a durable-event consumer that cannot read what it
 * gets. Each test drives what a metric describes and reads the value from the
 * broker's registry (`broker.metrics.getMetric`), so a wiring that is removed
 * or records the wrong thing fails here; the last one checks the exposition
 * of this node, with every new series, against `promtool check metrics`.
 *
 * test/support/local-platform.ts turns metrics off (METRICS_PORT=0): this
 * suite builds the same embedded platform with them on.
 */
import { randomBytes } from "node:crypto";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import { newId } from "../../platform/db/db-adapter";
import { SHOP_METRICS } from "../../platform/broker/metrics";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import { PoisonEventError } from "../../platform/events/dispatch";
import type { EventBus } from "../../platform/events/types";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import type { OutboxMethods } from "../../mixins/outbox.mixin";
import ApiService from "../../services/api/api.service";
import UsersService from "../../services/users/users.service";
import ShippingService from "../../services/shipping/shipping.service";
import { productBody, productsService } from "../products/catalog-platform";
import { cartService } from "../cart/cart-platform";
import { paymentsService } from "../payments/payments-platform";
import { checkoutBody, newKey, ordersService, payment, TEST_CARDS } from "../orders/orders-platform";
import { api, type ApiClient } from "../support/http";
import { freePort } from "../support/ports";
import { waitUntil } from "../support/wait-until";
import { fetchText, findPromtool, parseExposition, promtoolCheck, sampleValue } from "./ops-support";

const LOW_STOCK_THRESHOLD = 5;
const POISON_GROUP = "poison-consumer";

let broker: ServiceBroker;
let http: ApiClient;
let metricsUrl: string;
/** The poison consumer handles its events again once this is set (after a "fix"). */
let poisonFixed = false;
const poisonHandled: string[] = [];

/** A consumer that cannot handle `test.poison` until it is fixed: its events go to the dead letters at once. */
const poisonConsumer: ServiceSchema = {
  name: POISON_GROUP,
  mixins: [
    ChannelsMixin({
      "test.poison"(event) {
        if (!poisonFixed) throw new PoisonEventError("this consumer cannot read test.poison");
        poisonHandled.push(event.id);
      },
    }),
  ],
} as ServiceSchema;

beforeAll(async () => {
  const metricsPort = await freePort();
  const cfg = loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: String(metricsPort) });
  broker = new ServiceBroker({
    ...brokerOptions({ ...cfg, transporter: undefined, nodeID: undefined }),
    nodeID: `business-metrics-${process.pid}-${randomBytes(3).toString("hex")}`,
    logger: false,
  });
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const services = ["users", "products", "cart", "payments", "shipping", "orders"];
  for (const schema of [
    UsersService,
    // Gauges counted 20 ms after a change instead of 1 s: the waits stay short.
    productsService({ lowStockThreshold: LOW_STOCK_THRESHOLD, stockGaugesDelayMs: 20 }),
    cartService(),
    paymentsService(),
    { name: "shipping", mixins: [ShippingService], settings: { carrierTimerMs: 0 } } as ServiceSchema,
    ordersService(),
    poisonConsumer,
  ]) {
    broker.createService(schema);
  }
  const gateway = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ip: "127.0.0.1", expectedServices: services } } as ServiceSchema);
  await broker.start();
  const port = (gateway as unknown as { server: { address(): { port: number } } }).server.address().port;
  http = api(`http://127.0.0.1:${port}/api`);
  await waitUntil(async () => (await http.get("/health/ready")).status === 200, { description: "the gateway to be ready", timeoutMs: 15_000 });
});

afterAll(async () => {
  await broker?.stop();
});

// ---- reading the registry -----------------------------------------------------

interface Item {
  value?: number;
  count?: number;
  sum?: number;
}

function item(name: string, labels: Record<string, string> = {}): Item | undefined {
  const metric = broker.metrics.getMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return metric.get(labels) as Item | undefined;
}

/** A counter's or gauge's value; undefined while it has none. */
const value = (name: string, labels: Record<string, string> = {}) => item(name, labels)?.value;
const counted = (name: string, labels: Record<string, string> = {}) => value(name, labels) ?? 0;
const durations = (status: string) => item(SHOP_METRICS.CHECKOUT_DURATION, { status }) ?? { count: 0, sum: 0 };

async function gaugeBecomes(name: string, expected: number, labels: Record<string, string> = {}): Promise<void> {
  await waitUntil(() => value(name, labels) === expected, {
    description: `${name}${JSON.stringify(labels)} to be ${expected} (is ${value(name, labels)})`,
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

// ---- the shop -----------------------------------------------------------------

interface Product {
  id: string;
  stock: number;
}

async function shopper(): Promise<{ token: string }> {
  const email = `metrics-${randomBytes(5).toString("hex")}@example.com`;
  return broker.call<{ token: string }, Record<string, unknown>>("users.register", { email, password: "correct horse battery", name: "Metrics" });
}

const createProduct = (stock: number) => broker.call<Product, Record<string, unknown>>("products.create", productBody({ stock, price: 1999 }));

async function adminToken(): Promise<string> {
  const cfg = loadConfig({ NODE_ENV: "test" });
  return (await broker.call<{ token: string }, Record<string, unknown>>("users.login", { email: cfg.adminEmail, password: cfg.adminPassword })).token;
}

/** A fresh shopper checks out one unit of a fresh product with `card`; the answer. */
async function checkout(card: string = TEST_CARDS.approved, key = newKey("metrics")) {
  const { token } = await shopper();
  const product = await createProduct(50);
  expect((await http.post("/cart/items", { productId: product.id, quantity: 1 }, { token })).status).toBe(201);
  const res = await http.post<{ id: string; status: string }>("/orders", checkoutBody({ payment: payment(card) }), { token, headers: { "Idempotency-Key": key } });
  return { res, token, key };
}

// ---- the tests ----------------------------------------------------------------

describe("orders by status and checkout duration", () => {
  it("counts a paid checkout once and observes its duration under status paid", async () => {
    const paid = counted(SHOP_METRICS.ORDERS, { status: "paid" });
    const observed = durations("paid");

    const { res, token, key } = await checkout();
    expect(res.status).toBe(201);
    expect(counted(SHOP_METRICS.ORDERS, { status: "paid" })).toBe(paid + 1);
    const after = durations("paid");
    expect(after.count).toBe((observed.count ?? 0) + 1);
    expect(after.sum ?? 0).toBeGreaterThan(observed.sum ?? 0);

    // The same request again (its Idempotency-Key) answers the stored order: nothing more is counted.
    const replay = await http.post("/orders", checkoutBody(), { token, headers: { "Idempotency-Key": key } });
    expect(replay.status).toBe(201);
    expect(counted(SHOP_METRICS.ORDERS, { status: "paid" })).toBe(paid + 1);
    expect(durations("paid").count).toBe(after.count);
  });

  it("counts a declined checkout as failed, with its duration, and the decline by its code", async () => {
    const failed = counted(SHOP_METRICS.ORDERS, { status: "failed" });
    const observed = durations("failed").count ?? 0;
    const declined = counted(SHOP_METRICS.PAYMENT_DECLINES, { reason: "card_declined" });
    const noFunds = counted(SHOP_METRICS.PAYMENT_DECLINES, { reason: "insufficient_funds" });

    expect((await checkout(TEST_CARDS.declined)).res.status).toBe(402);
    expect(counted(SHOP_METRICS.PAYMENT_DECLINES, { reason: "card_declined" })).toBe(declined + 1);
    expect((await checkout(TEST_CARDS.insufficientFunds)).res.status).toBe(402);
    expect(counted(SHOP_METRICS.PAYMENT_DECLINES, { reason: "insufficient_funds" })).toBe(noFunds + 1);

    expect(counted(SHOP_METRICS.ORDERS, { status: "failed" })).toBe(failed + 2);
    expect(durations("failed").count).toBe(observed + 2);
    expect(counted(SHOP_METRICS.PAYMENT_DECLINES, { reason: "card_declined" })).toBe(declined + 1);
  });

  it("counts what follows a paid order (shipped, cancelled) without counting another checkout", async () => {
    const shipped = counted(SHOP_METRICS.ORDERS, { status: "shipped" });
    const cancelled = counted(SHOP_METRICS.ORDERS, { status: "cancelled" });
    const checkoutsEnded = ["paid", "failed", "cancelled"].map((status) => durations(status).count ?? 0);
    const admin = await adminToken();

    const toShip = await checkout();
    expect((await http.post(`/admin/orders/${toShip.res.body.id}/ship`, {}, { token: admin })).status).toBe(200);
    expect(counted(SHOP_METRICS.ORDERS, { status: "shipped" })).toBe(shipped + 1);

    const toCancel = await checkout();
    expect((await http.post(`/orders/${toCancel.res.body.id}/cancel`, {}, { token: toCancel.token })).status).toBe(200);
    expect(counted(SHOP_METRICS.ORDERS, { status: "cancelled" })).toBe(cancelled + 1);
    // Cancelling it twice changes nothing.
    expect((await http.post(`/orders/${toCancel.res.body.id}/cancel`, {}, { token: toCancel.token })).status).toBe(200);
    expect(counted(SHOP_METRICS.ORDERS, { status: "cancelled" })).toBe(cancelled + 1);

    // Two more checkouts ended (both paid); the ship and the cancel are no checkouts.
    expect(["paid", "failed", "cancelled"].map((status) => durations(status).count ?? 0)).toEqual([checkoutsEnded[0] + 2, checkoutsEnded[1], checkoutsEnded[2]]);
  });
});

describe("stock gauges (products)", () => {
  it("count the reservations held: one while reserved, none once released or committed", async () => {
    // Every checkout so far committed or released its reservation.
    await gaugeBecomes(SHOP_METRICS.ACTIVE_RESERVATIONS, 0);
    const product = await createProduct(20);

    await broker.call("products.reserve", { orderId: "metrics-held-1", items: [{ productId: product.id, quantity: 2 }] });
    await gaugeBecomes(SHOP_METRICS.ACTIVE_RESERVATIONS, 1);
    await broker.call("products.reserve", { orderId: "metrics-held-2", items: [{ productId: product.id, quantity: 1 }] });
    await gaugeBecomes(SHOP_METRICS.ACTIVE_RESERVATIONS, 2);

    await broker.call("products.release", { orderId: "metrics-held-1" });
    await gaugeBecomes(SHOP_METRICS.ACTIVE_RESERVATIONS, 1);
    await broker.call("products.commit", { orderId: "metrics-held-2" });
    await gaugeBecomes(SHOP_METRICS.ACTIVE_RESERVATIONS, 0);
  });

  it("count the listed products under the low-stock threshold as their stock moves", async () => {
    await waitUntil(() => value(SHOP_METRICS.LOW_STOCK_PRODUCTS) !== undefined, { description: "a first low-stock count", timeoutMs: 10_000 });
    const before = value(SHOP_METRICS.LOW_STOCK_PRODUCTS) as number;

    const scarce = await createProduct(LOW_STOCK_THRESHOLD - 3);
    await gaugeBecomes(SHOP_METRICS.LOW_STOCK_PRODUCTS, before + 1);

    // A reservation takes stock: 6 available, 2 held, 4 left is under the threshold of 5.
    const plenty = await createProduct(LOW_STOCK_THRESHOLD + 1);
    await broker.call("products.reserve", { orderId: "metrics-low-1", items: [{ productId: plenty.id, quantity: 2 }] });
    await gaugeBecomes(SHOP_METRICS.LOW_STOCK_PRODUCTS, before + 2);

    await broker.call("products.adjustStock", { id: scarce.id, set: 50 });
    await gaugeBecomes(SHOP_METRICS.LOW_STOCK_PRODUCTS, before + 1);
    await broker.call("products.release", { orderId: "metrics-low-1" });
    await gaugeBecomes(SHOP_METRICS.LOW_STOCK_PRODUCTS, before);

    // An archived product is not listed: it no longer counts, whatever its stock.
    const archived = await createProduct(1);
    await gaugeBecomes(SHOP_METRICS.LOW_STOCK_PRODUCTS, before + 1);
    await broker.call("products.remove", { id: archived.id });
    await gaugeBecomes(SHOP_METRICS.LOW_STOCK_PRODUCTS, before);
  });
});

describe("outbox lag (orders, payments)", () => {
  const outboxOf = (service: string) => broker.getLocalService(service) as unknown as OutboxMethods;
  const lag = (service: string) => value(SHOP_METRICS.OUTBOX_LAG, { service });

  it("is 0 while every event is published", async () => {
    await outboxOf("orders").relayOutbox();
    await outboxOf("payments").relayOutbox();
    expect(lag("orders")).toBe(0);
    expect(lag("payments")).toBe(0);
  });

  it("grows while the bus refuses an event, and is 0 again once it is published", async () => {
    const bus: EventBus = acquireBus(broker);
    const publish = bus.publish;
    try {
      // The bus (NATS in a cluster) refuses every publish: the relay keeps the events and retries.
      (bus as { publish: EventBus["publish"] }).publish = () => Promise.reject(new Error("the event bus is away (test)"));
      const { res } = await checkout();
      expect(res.status).toBe(201);
      await waitUntil(async () => (await outboxOf("orders").relayOutbox()) === 0 && (lag("orders") ?? 0) >= 0.3, {
        description: `the orders outbox lag to reach 0.3 s (is ${lag("orders")})`,
        timeoutMs: 10_000,
      });
      // payments' durable event is payment.refunded (the checkout's own payment events are signals).
      const paid = res.body as unknown as { payment: { transactionId: string } };
      await broker.call("payments.refund", { transactionId: paid.payment.transactionId, idempotencyKey: "outbox-lag-refund" });
      await waitUntil(async () => (await outboxOf("payments").relayOutbox()) === 0 && (lag("payments") ?? 0) > 0, {
        description: `the payments outbox lag to grow (is ${lag("payments")})`,
        timeoutMs: 10_000,
      });
    } finally {
      (bus as { publish: EventBus["publish"] }).publish = publish;
    }
    // The relay retries a refused event 2 s later.
    await waitUntil(async () => {
      await outboxOf("orders").relayOutbox();
      await outboxOf("payments").relayOutbox();
      return lag("orders") === 0 && lag("payments") === 0;
    }, { description: `both outboxes to be published (lag orders ${lag("orders")}, payments ${lag("payments")})`, timeoutMs: 15_000, intervalMs: 250 });
    await releaseBus(broker);
  });
});

describe("dead letters (channels)", () => {
  const deadLetters = () => value(SHOP_METRICS.DEAD_LETTERS, { consumer: POISON_GROUP });

  it("are 0 for a consumer that has none", async () => {
    await waitUntil(() => deadLetters() !== undefined, { description: "a first dead-letter count", timeoutMs: 10_000 });
    expect(deadLetters()).toBe(0);
  });

  it("count a poison event once it is dead-lettered, and none once it is replayed and handled", async () => {
    const bus = acquireBus(broker);
    try {
      const id = newId();
      await bus.publish({ id, event: "test.poison", payload: { n: 1 }, occurredAt: new Date().toISOString() });
      await gaugeBecomes(SHOP_METRICS.DEAD_LETTERS, 1, { consumer: POISON_GROUP });
      expect(await broker.call(`${POISON_GROUP}.deadLetters`, {})).toEqual([expect.objectContaining({ event: "test.poison", envelope: expect.objectContaining({ id }) })]);

      poisonFixed = true;
      expect(await broker.call(`${POISON_GROUP}.deadLettersReplay`, {})).toEqual({ replayed: 1 });
      expect(deadLetters()).toBe(0);
      await waitUntil(() => poisonHandled.includes(id), { description: "the replayed event to be handled", timeoutMs: 10_000 });
      expect(deadLetters()).toBe(0);
    } finally {
      await releaseBus(broker);
    }
  });
});

describe("the exposition of this node after all that", () => {
  const promtool = findPromtool();
  if (!promtool) console.warn("promtool not found: `promtool check metrics` is skipped (apt-get install prometheus)");
  let text: string;

  beforeAll(async () => {
    text = (await fetchText(metricsUrl)).text;
  });

  it("has every business series with its labels and the values of the registry", () => {
    const samples = parseExposition(text);
    const node = { namespace: broker.namespace, node_id: broker.nodeID };
    expect(sampleValue(samples, "shop_orders_total", { ...node, status: "paid" })).toBe(counted(SHOP_METRICS.ORDERS, { status: "paid" }));
    for (const status of ["paid", "failed", "shipped", "cancelled"]) expect({ status, counted: sampleValue(samples, "shop_orders_total", { status }) }).toEqual({ status, counted: expect.any(Number) });
    expect(sampleValue(samples, "shop_checkout_duration_seconds_count", { status: "failed" })).toBe(durations("failed").count);
    expect(sampleValue(samples, "shop_checkout_duration_seconds_bucket", { status: "paid", le: "+Inf" })).toBe(durations("paid").count);
    expect(sampleValue(samples, "shop_payment_declines_total", { reason: "insufficient_funds" })).toBe(1);
    expect(sampleValue(samples, "shop_reservations_active")).toBe(0);
    expect(sampleValue(samples, "shop_products_low_stock")).toBe(value(SHOP_METRICS.LOW_STOCK_PRODUCTS));
    expect(sampleValue(samples, "shop_outbox_lag_seconds", { service: "orders" })).toBe(0);
    expect(sampleValue(samples, "shop_outbox_lag_seconds", { service: "payments" })).toBe(0);
    expect(sampleValue(samples, "shop_dead_letters", { consumer: POISON_GROUP })).toBe(0);
  });

  (promtool ? it : it.skip)("passes promtool check metrics", () => {
    expect(promtoolCheck(promtool as string, text)).toEqual({ status: 0, output: "" });
  });
});
