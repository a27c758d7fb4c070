/**
 * The operator console's picture of the cluster, built from what every node
 * reports about itself: the registry's node list and each node's metric
 * snapshot (`$node.metrics`). Pure: the ops service gathers, this arranges.
 *
 * Moleculer keeps request counters and latency histograms per node, so an
 * action's rate is the sum over the nodes that run it; its p95 is the worst
 * node's p95 (quantiles of different nodes cannot be merged exactly, and the
 * slowest node is what an operator needs to see).
 */

/** One metric as `$node.metrics` answers it (moleculer's `metric.toObject()`). */
export interface MetricSnapshot {
  name: string;
  values: MetricItem[];
}

export interface MetricItem {
  labels?: Record<string, unknown>;
  value?: unknown;
  /** Per minute, smoothed over the last ticks (moleculer's MetricRate). */
  rate?: number;
  count?: number;
  quantiles?: Record<string, number | null>;
}

export interface ActionStats {
  action: string;
  service: string;
  /** Nodes whose metrics show the action handled there. */
  nodes: number;
  requestsPerSecond: number;
  errorsPerSecond: number;
  /** Errors among requests over the nodes' lifetime (0 to 1). */
  errorRatio: number;
  requestsTotal: number;
  errorsTotal: number;
  /** The worst node's p95 in ms; null before the first request. */
  p95Ms: number | null;
}

export type BreakerState = "open" | "half-open";

export interface BreakerView {
  /** The node whose calls tripped it (circuit breakers live with the caller). */
  callerNodeID: string;
  /** The endpoint it guards: the action on the node that failed. */
  action: string;
  targetNodeID: string;
  state: BreakerState;
}

const REQUESTS = "moleculer.request.total";
const ERRORS = "moleculer.request.error.total";
const LATENCY = "moleculer.request.time";
const BREAKER_OPEN = "moleculer.circuit-breaker.opened.active";
const BREAKER_HALF_OPEN = "moleculer.circuit-breaker.half-opened.active";

/** What `$node.metrics` is asked for: nothing the console does not show. */
export const METRIC_INCLUDES = [REQUESTS, ERRORS, LATENCY, BREAKER_OPEN, BREAKER_HALF_OPEN];

const isInternal = (action: string) => action.startsWith("$");
const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function itemsOf(metrics: MetricSnapshot[], name: string): MetricItem[] {
  return metrics.find((metric) => metric.name === name)?.values ?? [];
}

/** Only where the action ran ("local"), so a call that crossed nodes is counted once. */
const handledHere = (item: MetricItem) => item.labels?.type === "local" && typeof item.labels.action === "string" && !isInternal(item.labels.action);

export function actionStats(byNode: Map<string, MetricSnapshot[]>): ActionStats[] {
  const stats = new Map<string, ActionStats>();
  const entry = (item: MetricItem) => {
    const action = String(item.labels?.action);
    let found = stats.get(action);
    if (!found) {
      found = { action, service: String(item.labels?.service ?? action.split(".")[0]), nodes: 0, requestsPerSecond: 0, errorsPerSecond: 0, errorRatio: 0, requestsTotal: 0, errorsTotal: 0, p95Ms: null };
      stats.set(action, found);
    }
    return found;
  };
  for (const metrics of byNode.values()) {
    for (const item of itemsOf(metrics, REQUESTS).filter(handledHere)) {
      const stat = entry(item);
      stat.nodes += 1;
      stat.requestsTotal += num(item.value);
      stat.requestsPerSecond += num(item.rate) / 60;
    }
    // The error counter has more labels (error name, code): one action has several items.
    for (const item of itemsOf(metrics, ERRORS).filter(handledHere)) {
      const stat = entry(item);
      stat.errorsTotal += num(item.value);
      stat.errorsPerSecond += num(item.rate) / 60;
    }
    for (const item of itemsOf(metrics, LATENCY).filter(handledHere)) {
      const p95 = item.quantiles?.["0.95"];
      if (typeof p95 !== "number") continue;
      const stat = entry(item);
      stat.p95Ms = Math.max(stat.p95Ms ?? 0, p95);
    }
  }
  return [...stats.values()]
    .map((stat) => ({
      ...stat,
      requestsPerSecond: round(stat.requestsPerSecond),
      errorsPerSecond: round(stat.errorsPerSecond),
      errorRatio: stat.requestsTotal > 0 ? round(stat.errorsTotal / stat.requestsTotal, 4) : 0,
      p95Ms: stat.p95Ms === null ? null : round(stat.p95Ms, 1),
    }))
    .sort((a, b) => a.action.localeCompare(b.action));
}

/** Breakers that are not closed, on every caller node. */
export function openBreakers(byNode: Map<string, MetricSnapshot[]>): BreakerView[] {
  const found: BreakerView[] = [];
  for (const [callerNodeID, metrics] of byNode) {
    for (const [name, state] of [[BREAKER_OPEN, "open"], [BREAKER_HALF_OPEN, "half-open"]] as const) {
      for (const item of itemsOf(metrics, name)) {
        if (num(item.value) !== 1) continue;
        found.push({ callerNodeID, action: String(item.labels?.action ?? ""), targetNodeID: String(item.labels?.affectedNodeID ?? ""), state });
      }
    }
  }
  return found.sort((a, b) => `${a.callerNodeID}${a.action}`.localeCompare(`${b.callerNodeID}${b.action}`));
}

/** A node as the registry lists it (`registry.getNodeList({ withServices: true })`). */
export interface RegistryNode {
  id: string;
  available: boolean;
  local?: boolean;
  hostname?: string;
  cpu?: number | null;
  lastHeartbeatTime?: number;
  services?: { name: string }[];
}

export interface NodeView {
  nodeID: string;
  hostname: string | null;
  available: boolean;
  services: string[];
  /** Percent, from the node's last heartbeat. */
  cpu: number | null;
  /** Seconds; null when the node did not answer (left, or busy). */
  uptimeSeconds: number | null;
  /** RSS in bytes; null as uptime. */
  memoryBytes: number | null;
  /** ISO 8601: when this console saw it leave (null while it is up). */
  leftAt: string | null;
}

export interface NodeHealth {
  process?: { uptime?: number; memory?: { rss?: number } };
}

export function nodeView(node: RegistryNode, health: NodeHealth | null, leftAt: number | undefined): NodeView {
  const services = (node.services ?? []).map((service) => service.name).filter((name) => !isInternal(name));
  return {
    nodeID: node.id,
    hostname: node.hostname ?? null,
    available: node.available,
    services: [...new Set(services)].sort(),
    cpu: typeof node.cpu === "number" ? node.cpu : null,
    uptimeSeconds: typeof health?.process?.uptime === "number" ? Math.round(health.process.uptime) : null,
    memoryBytes: typeof health?.process?.memory?.rss === "number" ? health.process.memory.rss : null,
    leftAt: node.available || leftAt === undefined ? null : new Date(leftAt).toISOString(),
  };
}

/** Each service with the number of available nodes that run it. */
export function serviceCounts(nodes: NodeView[]): { name: string; nodes: number }[] {
  const counts = new Map<string, number>();
  for (const node of nodes.filter((n) => n.available)) {
    for (const name of node.services) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => ({ name, nodes: count })).sort((a, b) => a.name.localeCompare(b.name));
}
