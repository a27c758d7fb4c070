/**
 * The Prometheus text exposition of a node's metric registry, written so that
 * `promtool check metrics` accepts it. Moleculer's own Prometheus reporter
 * serves the same registry, but promtool rejects its text: camelCase label
 * names (`nodeID`), `quantile` samples and `_min`/`_mean`/`_max` families
 * inside histograms, `_rate` families without HELP, gauges named `*_total`
 * and a counter without that suffix. This reporter keeps Moleculer's metric
 * names otherwise (dots become underscores), so its documentation and
 * dashboards still apply.
 *
 * Prometheus derives rates and quantiles itself (rate(), histogram_quantile()
 * over the buckets), so nothing is lost by leaving out Moleculer's own.
 */
import { MetricReporters, type BrokerOptions } from "moleculer";

export const PLATFORM_METRICS_PATH = "/metrics";

/** One family of the exposition: what `# HELP`/`# TYPE` describe, then its samples. */
interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary";
  samples: string[];
}

/** What a metric's snapshot holds per label set (Moleculer's counter, gauge, info and histogram items). */
interface SnapshotItem {
  labels?: Record<string, unknown>;
  value?: unknown;
  count?: number;
  sum?: number;
  buckets?: Record<string, number>;
  quantiles?: Record<string, number | null>;
}

interface RegistryMetric {
  name: string;
  type: string;
  description?: string;
  unit?: string;
  snapshot(): SnapshotItem[];
}

/** `nodeID` -> `node_id`, `errorName` -> `error_name`; anything outside [a-z0-9_] becomes `_`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
}

/** Moleculer's dotted name (`moleculer.request.total`) as a Prometheus one, with the suffix its type requires. */
export function familyName(metricName: string, type: string): string {
  const base = metricName.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/:/g, "_");
  if (type === "counter") return base.endsWith("_total") ? base : `${base}_total`;
  // Moleculer names several gauges "...total" (registry sizes): `_total` promises a counter.
  return base.replace(/_total$/, "");
}

const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabelValue = (value: unknown) =>
  String(value ?? "").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function sampleValue(value: unknown): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value !== "number" || Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export class PlatformPrometheusReporter extends MetricReporters.Prometheus {
  /** Label values added to every sample (Moleculer's reporter adds the same two). */
  private commonLabels(): Record<string, unknown> {
    return { namespace: this.registry.broker.namespace, node_id: this.registry.broker.nodeID };
  }

  private labelString(labels: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): string {
    const all: Record<string, unknown> = { ...this.commonLabels() };
    for (const [name, value] of Object.entries(labels ?? {})) all[snakeCase(name)] = value;
    Object.assign(all, extra);
    const parts = Object.entries(all).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
    return parts.length > 0 ? `{${parts.join(",")}}` : "";
  }

  /** The family of one metric, or null when it has no value yet (Prometheus wants no empty families). */
  private family(metric: RegistryMetric): Family | null {
    const items = metric.snapshot();
    if (items.length === 0) return null;
    const name = familyName(this.formatMetricName(metric.name), metric.type);
    const help = escapeHelp(metric.description || `${metric.name}${metric.unit ? ` (${metric.unit})` : ""}`);
    const samples: string[] = [];

    if (metric.type === "counter" || metric.type === "gauge") {
      for (const item of items) samples.push(`${name}${this.labelString(item.labels)} ${sampleValue(item.value)}`);
      return { name, help, type: metric.type, samples };
    }
    if (metric.type === "info") {
      // An info metric's value is text: it becomes a label of a constant 1, the usual Prometheus form.
      for (const item of items) samples.push(`${name}${this.labelString(item.labels, { value: item.value })} 1`);
      return { name, help, type: "gauge", samples };
    }
    if (metric.type === "histogram") {
      const withBuckets = items.some((item) => item.buckets);
      for (const item of items) {
        if (withBuckets) {
          for (const [le, count] of Object.entries(item.buckets ?? {})) {
            samples.push(`${name}_bucket${this.labelString(item.labels, { le })} ${sampleValue(count)}`);
          }
          samples.push(`${name}_bucket${this.labelString(item.labels, { le: "+Inf" })} ${sampleValue(item.count)}`);
        } else {
          // Without buckets Moleculer keeps quantiles only: that is a summary.
          for (const [quantile, value] of Object.entries(item.quantiles ?? {})) {
            samples.push(`${name}${this.labelString(item.labels, { quantile })} ${sampleValue(value)}`);
          }
        }
        samples.push(`${name}_sum${this.labelString(item.labels)} ${sampleValue(item.sum)}`);
        samples.push(`${name}_count${this.labelString(item.labels)} ${sampleValue(item.count)}`);
      }
      return { name, help, type: withBuckets ? "histogram" : "summary", samples };
    }
    return null;
  }

  override generatePrometheusResponse(): string {
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const metric of this.registry.store.values() as Iterable<RegistryMetric>) {
      if (!this.matchMetricName(metric.name)) continue;
      // One sample per label set that changes every second: Moleculer's reporter leaves it out too.
      if (metric.name.startsWith("os.datetime")) continue;
      const family = this.family(metric);
      // Two metrics mapping to one name would make an invalid exposition: the first one wins.
      if (!family || seen.has(family.name)) continue;
      seen.add(family.name);
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...family.samples);
    }
    return lines.length > 0 ? `${lines.join("\n")}\n` : "";
  }
}

/** The broker's `metrics` options: this exposition on `port`, or metrics off when it is 0. */
export function platformMetricsOptions(port: number): BrokerOptions["metrics"] {
  if (port <= 0) return { enabled: false };
  // Moleculer's types name reporters by type only; its runtime takes a reporter instance as it is.
  const reporter = new PlatformPrometheusReporter({ port, path: PLATFORM_METRICS_PATH });
  return { enabled: true, reporter: [reporter as unknown as { type: "Prometheus" }] };
}
