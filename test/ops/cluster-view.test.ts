/**
 * services/ops/cluster-view.ts: how the console turns the nodes' own metric
 * snapshots and the registry into rates, latency, breakers and node rows.
 */
import { actionStats, nodeView, openBreakers, serviceCounts, type MetricSnapshot } from "../../services/ops/cluster-view";

const requests = (action: string, type: string, value: number, ratePerMinute: number) => ({ labels: { service: action.split(".")[0], action, type, caller: null }, value, rate: ratePerMinute });
const latency = (action: string, p95: number) => ({ labels: { service: action.split(".")[0], action, type: "local", caller: null }, count: 10, quantiles: { "0.5": p95 / 2, "0.95": p95 } });
const errors = (action: string, value: number, ratePerMinute: number, code: number) => ({ labels: { service: action.split(".")[0], action, type: "local", errorCode: code }, value, rate: ratePerMinute });

describe("per-action statistics", () => {
  const byNode = new Map<string, MetricSnapshot[]>([
    [
      "catalog-1",
      [
        { name: "moleculer.request.total", values: [requests("products.list", "local", 90, 600), requests("$node.health", "local", 5, 6)] },
        { name: "moleculer.request.error.total", values: [errors("products.list", 6, 30, 503), errors("products.list", 3, 6, 504)] },
        { name: "moleculer.request.time", values: [latency("products.list", 12)] },
      ],
    ],
    [
      "catalog-2",
      [
        { name: "moleculer.request.total", values: [requests("products.list", "local", 30, 120)] },
        { name: "moleculer.request.time", values: [latency("products.list", 40)] },
      ],
    ],
    // The caller's own count of the same requests: counted where they ran, not twice.
    ["gateway-1", [{ name: "moleculer.request.total", values: [requests("products.list", "remote", 120, 720)] }]],
  ]);
  const [list, ...others] = actionStats(byNode);

  it("adds up the nodes that handled an action, per second, and counts each request once", () => {
    expect(list).toMatchObject({ action: "products.list", service: "products", nodes: 2, requestsTotal: 120, requestsPerSecond: 12 });
  });

  it("sums every error item of the action into an error rate and ratio", () => {
    expect(list).toMatchObject({ errorsTotal: 9, errorsPerSecond: 0.6, errorRatio: 0.075 });
  });

  it("shows the worst node's p95", () => {
    expect(list.p95Ms).toBe(40);
  });

  it("leaves moleculer's internal actions out", () => {
    expect(others).toEqual([]);
  });
});

describe("circuit breakers", () => {
  it("lists the open and half-open ones with the caller and the endpoint they guard, not the closed ones", () => {
    const byNode = new Map<string, MetricSnapshot[]>([
      [
        "gateway-1",
        [
          { name: "moleculer.circuit-breaker.opened.active", values: [{ labels: { affectedNodeID: "checkout-1", service: "orders", action: "orders.checkout" }, value: 1 }, { labels: { affectedNodeID: "catalog-1", service: "products", action: "products.list" }, value: 0 }] },
          { name: "moleculer.circuit-breaker.half-opened.active", values: [{ labels: { affectedNodeID: "checkout-2", service: "payments", action: "payments.charge" }, value: 1 }] },
        ],
      ],
    ]);
    expect(openBreakers(byNode)).toEqual([
      { callerNodeID: "gateway-1", action: "orders.checkout", targetNodeID: "checkout-1", state: "open" },
      { callerNodeID: "gateway-1", action: "payments.charge", targetNodeID: "checkout-2", state: "half-open" },
    ]);
  });
});

describe("nodes and services", () => {
  const up = nodeView({ id: "catalog-1", available: true, hostname: "h1", cpu: 37, services: [{ name: "$node" }, { name: "products" }, { name: "cart" }] }, { process: { uptime: 61.6, memory: { rss: 1000 } } }, undefined);
  const gone = nodeView({ id: "catalog-2", available: false, cpu: null, services: [{ name: "products" }] }, null, Date.parse("2026-12-07T10:00:00Z"));

  it("shows a node's business services, CPU, uptime and memory", () => {
    expect(up).toEqual({ nodeID: "catalog-1", hostname: "h1", available: true, services: ["cart", "products"], cpu: 37, uptimeSeconds: 62, memoryBytes: 1000, leftAt: null });
  });

  it("shows when a node left, and no health for it", () => {
    expect(gone).toMatchObject({ available: false, leftAt: "2026-12-07T10:00:00.000Z", uptimeSeconds: null });
  });

  it("counts the available nodes of each service only", () => {
    expect(serviceCounts([up, gone])).toEqual([{ name: "cart", nodes: 1 }, { name: "products", nodes: 1 }]);
  });
});
