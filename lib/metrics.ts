/**
 * The shop's business metrics, registered in Moleculer's metric registry so
 * that they are served on METRICS_PORT next to Moleculer's own (request
 * rates, latencies, errors, nodes). Services record through `shopMetrics()`:
 * registering is idempotent, and with metrics off (METRICS_PORT=0, tests)
 * every call does nothing.
 *
 * Names follow Moleculer's dotted style; the exposition turns them into
 * `shop_orders_total`, `shop_checkout_duration_seconds_bucket`, ...
 * (lib/metrics-exposition.ts). Label values come from small fixed sets
 * (statuses, decline codes, service names): never ids, which would make one
 * time series per order.
 */
import type { MetricRegistry, ServiceBroker } from "moleculer";

export const SHOP_METRICS = {
  /** Orders that reached a final status, by that status (paid, failed, cancelled, ...). */
  ORDERS: "shop.orders.total",
  /** Seconds from checkout request to the order's final status, by that status. */
  CHECKOUT_DURATION: "shop.checkout.duration.seconds",
  /** Card payments the processor declined, by decline code. */
  PAYMENT_DECLINES: "shop.payment.declines.total",
  /** Stock reservations held right now (reserved, neither committed nor released). */
  ACTIVE_RESERVATIONS: "shop.reservations.active",
  /** Listed products whose stock is below LOW_STOCK_THRESHOLD. */
  LOW_STOCK_PRODUCTS: "shop.products.low.stock",
  /** Seconds the oldest not yet published outbox event has waited (0 when none), per owning service. */
  OUTBOX_LAG: "shop.outbox.lag.seconds",
  /** Events parked on a dead-letter subject, per consumer. */
  DEAD_LETTERS: "shop.dead.letters",
} as const;

/** Checkouts mostly take well under a second; the tail shows payment retries and timeouts. */
export const CHECKOUT_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type MetricOptions = MetricRegistry.CounterMetricOptions | MetricRegistry.GaugeMetricOptions | MetricRegistry.HistogramMetricOptions;

const DEFINITIONS: MetricOptions[] = [
  { name: SHOP_METRICS.ORDERS, type: "counter", labelNames: ["status"], description: "Orders that reached a final status, by status" },
  {
    name: SHOP_METRICS.CHECKOUT_DURATION,
    type: "histogram",
    labelNames: ["status"],
    description: "Checkout duration in seconds, from request to final status",
    buckets: CHECKOUT_DURATION_BUCKETS,
    quantiles: false,
  },
  { name: SHOP_METRICS.PAYMENT_DECLINES, type: "counter", labelNames: ["reason"], description: "Payments declined by the processor, by decline code" },
  { name: SHOP_METRICS.ACTIVE_RESERVATIONS, type: "gauge", labelNames: [], description: "Stock reservations currently held" },
  { name: SHOP_METRICS.LOW_STOCK_PRODUCTS, type: "gauge", labelNames: [], description: "Listed products with stock below the low-stock threshold" },
  { name: SHOP_METRICS.OUTBOX_LAG, type: "gauge", labelNames: ["service"], description: "Age in seconds of the oldest unpublished outbox event (0: none)" },
  { name: SHOP_METRICS.DEAD_LETTERS, type: "gauge", labelNames: ["consumer"], description: "Events on the dead-letter subject, per consumer" },
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
  /** An order reached a final status (paid, failed, cancelled, refunded, ...). */
  orderFinished(status: string): void;
  /** One checkout took `seconds` and ended with `status`. */
  checkoutObserved(seconds: number, status: string): void;
  /** The payment processor declined a card (`reason`: its decline code). */
  paymentDeclined(reason: string): void;
  activeReservations(count: number): void;
  lowStockProducts(count: number): void;
  /** `seconds`: age of the oldest unpublished event of `service`'s outbox; 0 when it is empty. */
  outboxLag(service: string, seconds: number): void;
  deadLetters(consumer: string, count: number): void;
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
    checkoutObserved: (seconds, status) => on && registry.observe(SHOP_METRICS.CHECKOUT_DURATION, seconds, { status }),
    paymentDeclined: (reason) => count(SHOP_METRICS.PAYMENT_DECLINES, { reason }),
    activeReservations: (value) => gauge(SHOP_METRICS.ACTIVE_RESERVATIONS, value),
    lowStockProducts: (value) => gauge(SHOP_METRICS.LOW_STOCK_PRODUCTS, value),
    outboxLag: (service, seconds) => gauge(SHOP_METRICS.OUTBOX_LAG, seconds, { service }),
    deadLetters: (consumer, value) => gauge(SHOP_METRICS.DEAD_LETTERS, value, { consumer }),
  };
}
