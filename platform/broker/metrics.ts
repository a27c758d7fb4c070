/**
 * The shop's business metrics, registered in Moleculer's metric registry so
 * that they are served on METRICS_PORT next to Moleculer's own (request
 * rates, latencies, errors, nodes). Services record through `shopMetrics()`:
 * registering is idempotent, and with metrics off (METRICS_PORT=0, tests)
 * every call does nothing.
 *
 * Names follow Moleculer's dotted style; the exposition turns them into
 * `shop_orders_total`, `shop_checkout_duration_seconds_bucket`, ...
 * (platform/broker/metrics-exposition.ts). Label values come from small fixed sets
 * (statuses, decline codes, service names): never ids, which would make one
 * time series per order.
 */
import type { MetricRegistry, ServiceBroker } from "moleculer";

export const SHOP_METRICS = {
  /**
   * Orders by the status they moved to: the end of a checkout (paid, failed,
   * cancelled) and what follows a paid order (shipped, delivered, cancelled).
   * Each change is one conditional write (services/orders/order-state.ts), counted by the
   * node that made it, so `sum` over nodes counts every order once per status.
   */
  ORDERS: "shop.orders.total",
  /**
   * Seconds from an order's creation (its checkout request, once the cart is
   * read) to the end of its checkout (paid, failed or cancelled), by that
   * status; a checkout finished by the recovery sweeper counts too.
   */
  CHECKOUT_DURATION: "shop.checkout.duration.seconds",
  /** Card payments the processor declined, by decline code. */
  PAYMENT_DECLINES: "shop.payment.declines.total",
  /**
   * Stock reservations held right now (pending or reserved: neither committed
   * nor released). Set by every products node from the shared collection: `max`.
   */
  ACTIVE_RESERVATIONS: "shop.reservations.active",
  /** Listed products whose stock is below LOW_STOCK_THRESHOLD; set like ACTIVE_RESERVATIONS. */
  LOW_STOCK_PRODUCTS: "shop.products.low.stock",
  /**
   * Seconds the oldest outbox event ready to publish (its change stored) has
   * waited; 0 when none waits. Per owning service, set by each of its nodes
   * from the shared outbox on every relay interval: `max`.
   */
  OUTBOX_LAG: "shop.outbox.lag.seconds",
  /** Events parked in the dead-letter store, per consuming group; every node of the group sets it: `max`. */
  DEAD_LETTERS: "shop.dead.letters",
  /** Webhook deliveries by how they ended an attempt: succeeded, retrying (failed, tried again later) or dead. */
  WEBHOOK_DELIVERIES: "shop.webhooks.deliveries.total",
  /** Webhook attempts (HTTP requests to receivers), by result: 2xx, 3xx, 4xx, 5xx or error (no answer, refused address). */
  WEBHOOK_ATTEMPTS: "shop.webhooks.attempts.total",
  /** Seconds one webhook attempt took, to the receiver's answer or the timeout. */
  WEBHOOK_LATENCY: "shop.webhooks.attempt.duration.seconds",
  /**
   * Unfinished deliveries (pending or being sent) per endpoint id: endpoints
   * are few and made by admins, so the id is a bounded label. Set by every
   * webhooks node from the shared log: `max`.
   */
  WEBHOOK_BACKLOG: "shop.webhooks.backlog",
} as const;

/** Receivers answer in milliseconds to seconds; the top bucket is the 10 s timeout. */
export const WEBHOOK_LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Checkouts mostly take well under a second; the tail shows payment retries and timeouts. */
export const CHECKOUT_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type MetricOptions = MetricRegistry.CounterMetricOptions | MetricRegistry.GaugeMetricOptions | MetricRegistry.HistogramMetricOptions;

const DEFINITIONS: MetricOptions[] = [
  {
    name: SHOP_METRICS.ORDERS,
    type: "counter",
    labelNames: ["status"],
    description: "Orders by the status they reached: checkout outcome (paid, failed, cancelled), then shipped, delivered, cancelled",
  },
  {
    name: SHOP_METRICS.CHECKOUT_DURATION,
    type: "histogram",
    labelNames: ["status"],
    description: "Checkout duration in seconds, from the order's creation to the end of its checkout (paid, failed, cancelled)",
    buckets: CHECKOUT_DURATION_BUCKETS,
    quantiles: false,
  },
  { name: SHOP_METRICS.PAYMENT_DECLINES, type: "counter", labelNames: ["reason"], description: "Payments declined by the processor, by decline code" },
  { name: SHOP_METRICS.ACTIVE_RESERVATIONS, type: "gauge", labelNames: [], description: "Stock reservations currently held (pending or reserved), from the shared store" },
  { name: SHOP_METRICS.LOW_STOCK_PRODUCTS, type: "gauge", labelNames: [], description: "Listed products with stock below the low-stock threshold, from the shared store" },
  { name: SHOP_METRICS.OUTBOX_LAG, type: "gauge", labelNames: ["service"], description: "Age in seconds of the oldest outbox event ready and not yet published (0: none)" },
  { name: SHOP_METRICS.DEAD_LETTERS, type: "gauge", labelNames: ["consumer"], description: "Events in the dead-letter store, per consuming group" },
  { name: SHOP_METRICS.WEBHOOK_DELIVERIES, type: "counter", labelNames: ["outcome"], description: "Webhook delivery attempts by outcome: succeeded, retrying, dead" },
  { name: SHOP_METRICS.WEBHOOK_ATTEMPTS, type: "counter", labelNames: ["result"], description: "Webhook HTTP attempts by result: 2xx, 3xx, 4xx, 5xx, error" },
  {
    name: SHOP_METRICS.WEBHOOK_LATENCY,
    type: "histogram",
    labelNames: [],
    description: "Duration of one webhook attempt in seconds",
    buckets: WEBHOOK_LATENCY_BUCKETS,
    quantiles: false,
  },
  { name: SHOP_METRICS.WEBHOOK_BACKLOG, type: "gauge", labelNames: ["endpoint"], description: "Webhook deliveries not yet finished, per endpoint id" },
];

/** Registers every business metric on `broker` (once; later calls keep the values). */
export function registerShopMetrics(broker: ServiceBroker): void {
  const registry = broker.metrics;
  if (!registry?.isEnabled()) return;
  for (const definition of DEFINITIONS) {
    if (registry.hasMetric(definition.name)) continue;
    // register() is overloaded per metric type: each branch narrows to one overload.
    if (definition.type === "counter") registry.register(definition);
    else if (definition.type === "gauge") registry.register(definition);
    else registry.register(definition);
  }
}

export interface ShopMetrics {
  /** An order moved to `status` (paid, failed, cancelled, shipped, delivered); once per order and status. */
  orderFinished(status: string): void;
  /** One checkout took `seconds` and ended with `status` (paid, failed or cancelled). */
  checkoutObserved(seconds: number, status: string): void;
  /** The payment processor declined a card (`reason`: its decline code). */
  paymentDeclined(reason: string): void;
  activeReservations(count: number): void;
  lowStockProducts(count: number): void;
  /** `seconds`: age of the oldest unpublished event of `service`'s outbox; 0 when it is empty. */
  outboxLag(service: string, seconds: number): void;
  deadLetters(consumer: string, count: number): void;
  /** A webhook attempt ended: its delivery `outcome` (succeeded, retrying, dead), HTTP `result` (2xx..5xx, error) and duration. */
  webhookAttempt(outcome: string, result: string, seconds: number): void;
  webhookBacklog(endpointId: string, count: number): void;
}

/**
 * A label value from outside (a processor's decline code): lower-case
 * `[a-z0-9_]`, at most 48 characters, `unknown` when nothing is left, so a
 * processor that sends prose cannot make a time series per message.
 */
export function labelValue(raw: unknown): string {
  const value = String(raw ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 48);
  return value || "unknown";
}

/**
 * The recorders of `broker`'s business metrics, e.g. in a service:
 * `shopMetrics(this.broker).orderFinished("paid")`.
 */
export function shopMetrics(broker: ServiceBroker): ShopMetrics {
  registerShopMetrics(broker);
  const registry = broker.metrics;
  // Metrics off: the registry would not have the metrics, and recording must cost nothing.
  const on = Boolean(registry?.isEnabled());
  const count = (name: string, labels: Record<string, string>) => on && registry.increment(name, labels, 1);
  const gauge = (name: string, value: number, labels: Record<string, string> = {}) => on && registry.set(name, value, labels);
  return {
    orderFinished: (status) => count(SHOP_METRICS.ORDERS, { status }),
    checkoutObserved: (seconds, status) => on && registry.observe(SHOP_METRICS.CHECKOUT_DURATION, Math.max(0, seconds), { status }),
    paymentDeclined: (reason) => count(SHOP_METRICS.PAYMENT_DECLINES, { reason: labelValue(reason) }),
    activeReservations: (value) => gauge(SHOP_METRICS.ACTIVE_RESERVATIONS, value),
    lowStockProducts: (value) => gauge(SHOP_METRICS.LOW_STOCK_PRODUCTS, value),
    outboxLag: (service, seconds) => gauge(SHOP_METRICS.OUTBOX_LAG, Math.max(0, seconds), { service }),
    deadLetters: (consumer, value) => gauge(SHOP_METRICS.DEAD_LETTERS, value, { consumer }),
    webhookAttempt: (outcome, result, seconds) => {
      count(SHOP_METRICS.WEBHOOK_DELIVERIES, { outcome });
      count(SHOP_METRICS.WEBHOOK_ATTEMPTS, { result });
      if (on) registry.observe(SHOP_METRICS.WEBHOOK_LATENCY, Math.max(0, seconds), {});
    },
    webhookBacklog: (endpoint, value) => gauge(SHOP_METRICS.WEBHOOK_BACKLOG, value, { endpoint }),
  };
}

/** The statuses that end a checkout: the order leaves `pending` for one of them. */
const CHECKOUT_ENDS = new Set(["paid", "failed", "cancelled"]);

/**
 * `store` (what OrderBook writes orders through, services/orders/order-book.ts) counting
 * every status change it makes. A change is an update that sets `status`
 * other than the one its filter requires (services/orders/order-state.ts
 * transitionUpdate, one conditional write): it is counted only when it
 * matched, so of two nodes racing for one change exactly one counts it, and
 * a repeat (a replayed event, the sweeper) counts nothing. A change out of
 * `pending` ends a checkout: its duration is observed from the order's
 * `createdAt` to the change's `updatedAt`.
 */
export function withOrderMetrics<S extends OrderWrites>(store: S, metrics: ShopMetrics): S {
  const updateWhere = async (filter: Record<string, unknown>, update: Record<string, unknown>) => {
    const changed = await store.updateWhere(filter, update);
    const to = (update.$set as Record<string, unknown> | undefined)?.status;
    if (changed && typeof to === "string" && to !== filter.status) {
      metrics.orderFinished(to);
      if (filter.status === "pending" && CHECKOUT_ENDS.has(to)) {
        const started = Date.parse(String(changed.createdAt));
        const ended = Date.parse(String(changed.updatedAt ?? ""));
        if (Number.isFinite(started)) metrics.checkoutObserved(((Number.isFinite(ended) ? ended : Date.now()) - started) / 1000, to);
      }
    }
    return changed;
  };
  // Everything else of the store as it is (its adapter, reads, inserts), read when used.
  return new Proxy(store, {
    get: (target, property) => (property === "updateWhere" ? updateWhere : Reflect.get(target, property, target)),
  });
}

/** The one write of an order store that changes statuses. */
export interface OrderWrites {
  updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>): Promise<Record<string, any> | null>;
}
