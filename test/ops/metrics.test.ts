/**
 * Prometheus metrics of a node: the business metrics of platform/broker/metrics.ts show
 * up in the exposition with the values recorded, and the exposition of a node
 * that serves real traffic over NATS passes `promtool check metrics`. The
 * Grafana dashboard only asks for metrics that exposition has.
 *
 * The broker takes the platform's options with `metrics` from
 * platform/broker/metrics-exposition.ts (what moleculer.config.ts serves on METRICS_PORT).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import { platformMetricsOptions } from "../../platform/broker/metrics-exposition";
import { shopMetrics, registerShopMetrics } from "../../platform/broker/metrics";
import ApiService from "../../services/api/api.service";
import ProductsService from "../../services/products/products.service";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { freePort, freePorts } from "../support/ports";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { admissionMetrics } from "../../services/api/admission-gate";
import { fetchText, findPromtool, parseExposition, promtoolCheck, sampleValue, type Sample } from "./ops-support";

const DASHBOARD = path.resolve(__dirname, "../../deploy/grafana/shop.json");

async function metricsBroker(extra: { transporter?: string; nodeID: string }): Promise<{ broker: ServiceBroker; url: string }> {
  const port = await freePort();
  const cfg = loadConfig({ NODE_ENV: "test", METRICS_PORT: String(port), TRANSPORTER: extra.transporter, NAMESPACE: `ops-${process.pid}` });
  const broker = new ServiceBroker({ ...brokerOptions(cfg), nodeID: extra.nodeID, logger: false, metrics: platformMetricsOptions(port) });
  return { broker, url: `http://127.0.0.1:${port}/metrics` };
}

interface Dashboard {
  panels: { targets?: { expr: string }[] }[];
  templating: { list: { definition?: string }[] };
}

const dashboard = () => JSON.parse(fs.readFileSync(DASHBOARD, "utf8")) as Dashboard;

/** The PromQL of every panel. */
const panelQueries = () => dashboard().panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

/** Panels and template variables (Grafana's `label_values(...)`, not PromQL). */
const dashboardQueries = () => [...panelQueries(), ...dashboard().templating.list.flatMap((v) => (v.definition ? [v.definition] : []))];

/** One value of each: a metric appears in the exposition once it has one. */
function recordEveryBusinessMetric(broker: ServiceBroker): void {
  const metrics = shopMetrics(broker);
  metrics.orderFinished("paid");
  metrics.checkoutObserved(0.4, "paid");
  metrics.paymentDeclined("card_declined");
  metrics.activeReservations(1);
  metrics.lowStockProducts(1);
  metrics.outboxLag("orders", 0);
  metrics.deadLetters("notifications", 0);
  // The gateway's admission counters and a breaker's gauge exist once something was queued, shed, opened.
  const admission = admissionMetrics(broker);
  admission.queued("checkout");
  admission.shed("checkout", "queue-full");
  broker.metrics.set("moleculer.circuit-breaker.opened.active", 0, { affectedNodeID: "metrics-gateway", service: "products", action: "products.get" });
}

describe("business metrics", () => {
  let broker: ServiceBroker;
  let samples: Sample[];

  beforeAll(async () => {
    const node = await metricsBroker({ nodeID: "metrics-unit" });
    broker = node.broker;
    await broker.start();
    const metrics = shopMetrics(broker);
    metrics.orderFinished("paid");
    metrics.orderFinished("paid");
    metrics.orderFinished("failed");
    metrics.checkoutObserved(0.2, "paid");
    metrics.checkoutObserved(3, "failed");
    metrics.paymentDeclined("insufficient_funds");
    metrics.activeReservations(7);
    metrics.lowStockProducts(3);
    metrics.outboxLag("orders", 1.5);
    metrics.deadLetters("notifications", 2);
    // A second registration (another service on the node) keeps the values.
    registerShopMetrics(broker);
    samples = parseExposition((await fetchText(node.url)).text);
  });
  afterAll(() => broker?.stop());

  it("counts orders by final status and payment declines by code", () => {
    expect(sampleValue(samples, "shop_orders_total", { status: "paid" })).toBe(2);
    expect(sampleValue(samples, "shop_orders_total", { status: "failed" })).toBe(1);
    expect(sampleValue(samples, "shop_payment_declines_total", { reason: "insufficient_funds" })).toBe(1);
  });

  it("observes checkout durations in second buckets", () => {
    const bucket = (le: string, status: string) => sampleValue(samples, "shop_checkout_duration_seconds_bucket", { le, status });
    expect(bucket("0.25", "paid")).toBe(1);
    expect(bucket("0.1", "paid")).toBe(0);
    expect(bucket("2.5", "failed")).toBe(0);
    expect(bucket("5", "failed")).toBe(1);
    expect(bucket("+Inf", "failed")).toBe(1);
    expect(sampleValue(samples, "shop_checkout_duration_seconds_sum", { status: "failed" })).toBe(3);
    expect(sampleValue(samples, "shop_checkout_duration_seconds_count", { status: "paid" })).toBe(1);
  });

  it("reports reservations, low stock, outbox lag and dead letters as gauges", () => {
    expect(sampleValue(samples, "shop_reservations_active")).toBe(7);
    expect(sampleValue(samples, "shop_products_low_stock")).toBe(3);
    expect(sampleValue(samples, "shop_outbox_lag_seconds", { service: "orders" })).toBe(1.5);
    expect(sampleValue(samples, "shop_dead_letters", { consumer: "notifications" })).toBe(2);
  });

  it("labels every sample with the namespace and the node", () => {
    const unlabelled = samples.filter((s) => s.labels.namespace !== broker.namespace || s.labels.node_id !== "metrics-unit");
    expect(unlabelled).toEqual([]);
  });

  it("records nothing and fails nothing when metrics are off", async () => {
    const off = new ServiceBroker({ ...brokerOptions(loadConfig({ NODE_ENV: "test", METRICS_PORT: "0" })), logger: false });
    await off.start();
    try {
      const metrics = shopMetrics(off);
      expect(() => {
        metrics.orderFinished("paid");
        metrics.checkoutObserved(1, "paid");
        metrics.lowStockProducts(1);
      }).not.toThrow();
      expect(off.metrics.hasMetric("shop.orders.total")).toBe(false);
    } finally {
      await off.stop();
    }
  });
});

describe("the exposition of a node serving traffic over NATS", () => {
  const promtool = findPromtool();
  let nats: NatsServer;
  let broker: ServiceBroker;
  let exposition: string;

  if (!promtool) console.warn("promtool not found: `promtool check metrics` is skipped (apt-get install prometheus)");

  beforeAll(async () => {
    nats = await startNatsServer();
    const node = await metricsBroker({ transporter: nats.url, nodeID: "metrics-gateway" });
    broker = node.broker;
    const [httpPort] = await freePorts(1);
    broker.createService(ProductsService);
    broker.createService({ name: "api", mixins: [ApiService], settings: { port: httpPort, ip: "127.0.0.1", expectedServices: ["products"] } } as ServiceSchema);
    await broker.start();
    const http = api(`http://127.0.0.1:${httpPort}/api`);
    await waitUntil(async () => (await http.get("/health/ready")).status === 200, { description: "the gateway to be ready", timeoutMs: 15_000 });
    const page = await http.get<{ rows: { id: string }[] }>("/products?pageSize=2");
    await http.get(`/products/${page.body.rows[0].id}`);
    await http.get("/products/no-such-product");
    await http.get("/products?minPrice=10&maxPrice=1");
    recordEveryBusinessMetric(broker);
    exposition = (await fetchText(node.url)).text;
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    await nats?.stop();
  });

  (promtool ? it : it.skip)("passes promtool check metrics", () => {
    const result = promtoolCheck(promtool as string, exposition);
    expect(result).toEqual({ status: 0, output: "" });
  });

  it("has Moleculer's request, error, latency, transit and registry metrics", () => {
    const names = new Set(parseExposition(exposition).map((s) => s.name));
    for (const name of ["moleculer_request_total", "moleculer_request_error_total", "moleculer_request_time_bucket", "moleculer_registry_nodes_online", "moleculer_transit_connected"]) {
      expect({ name, present: names.has(name) }).toEqual({ name, present: true });
    }
  });

  it("has every metric the Grafana dashboard queries", () => {
    const names = new Set(parseExposition(exposition).map((s) => s.name));
    const queried = dashboardQueries().flatMap((query) => [...query.matchAll(/\b((?:moleculer|shop)_[a-z0-9_]+)/g)].map((m) => m[1]));
    const unknown = [...new Set(queried)].filter((name) => !names.has(name));
    expect(queried.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  (promtool ? it : it.skip)("queries in valid PromQL (promtool check rules)", () => {
    // Grafana's variables replaced by values Prometheus itself would accept.
    const rules = panelQueries().map((query, i) => ({
      record: `dashboard:query_${i}`,
      expr: query.replace(/\$__rate_interval/g, "1m").replace(/\$__range/g, "1h").replace(/\$namespace/g, "shop"),
    }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-rules-"));
    try {
      const file = path.join(dir, "rules.yml");
      fs.writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
      const check = spawnSync(promtool as string, ["check", "rules", file], { encoding: "utf8", timeout: 30_000 });
      expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: "" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
