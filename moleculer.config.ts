/**
 * Broker options for every node of the platform. Everything comes from
 * platform/config.ts (the environment), so one build runs embedded on a laptop and
 * as many nodes of a cluster alike.
 */
import type { BrokerOptions, Errors, TracerOptions } from "moleculer";
import { config, type PlatformConfig } from "./platform/config";
import { GenerationalMemoryLRUCacher, GenerationalRedisCacher } from "./platform/broker/generational-cacher";
import { natsAuthOptions } from "./platform/nats-connection";
import { ScrubbingValidator } from "./platform/broker/scrubbing-validator";
import { platformMetricsOptions } from "./platform/broker/metrics-exposition";
import { FaultInjection } from "./middlewares/fault-injection.middleware";
import { TransporterLinkMiddleware } from "./middlewares/transporter-link.middleware";
import { RequestLogContext } from "./middlewares/request-log.middleware";
import { jsonLogFormatter, LogScopeMiddleware } from "./middlewares/log-scope.middleware";
import { CallerCache } from "./middlewares/caller-cache.middleware";
import { LIST_CACHE_KEYS } from "./services/products/catalog-query";
import { replCommands } from "./scripts/repl-commands";

/**
 * The catalog reads the gateway keeps in its own process (CATALOG_CACHE), with
 * the keys products caches them by; cleaned with products' own cache
 * (middlewares/caller-cache.middleware.ts), kept at most this long otherwise.
 */
const GATEWAY_CATALOG_CACHE = {
  actions: { "products.get": ["id"], "products.list": LIST_CACHE_KEYS, "products.categories": [] },
  ttlMs: 2_000,
  maxEntries: 5_000,
};

/** A node that runs the gateway: SERVICES names `api`, or is unset (every service). */
const runsGateway = (cfg: PlatformConfig) => !cfg.services || cfg.services.includes("api");

/** NATS with this node's credentials (platform/nats-connection.ts); none: embedded. */
function transporterOf(cfg: PlatformConfig): BrokerOptions["transporter"] {
  if (!cfg.transporter) return null as BrokerOptions["transporter"];
  const servers = cfg.transporter.split(",").map((url) => url.trim()).filter(Boolean);
  if (!servers.every((url) => url.startsWith("nats://") || url.startsWith("tls://"))) return cfg.transporter as BrokerOptions["transporter"];
  return { type: "NATS", options: { servers, ...natsAuthOptions(cfg) } };
}

export function brokerOptions(cfg: PlatformConfig): BrokerOptions {
  return {
    namespace: cfg.namespace,
    nodeID: cfg.nodeID,

    // No transporter: every service in one process (embedded mode).
    transporter: transporterOf(cfg),

    cacher: cfg.redisUrl
      ? new GenerationalRedisCacher({
          redis: cfg.redisUrl,
          prefix: `MOL-${cfg.namespace}`,
          ttl: 60,
          maxParamsLength: 200,
          commandTimeoutMs: Math.min(1000, Math.ceil(cfg.requestTimeoutMs / 10)),
        })
      : // Bounded (least recently used out first): every distinct catalog query is an entry, and anyone can send those.
        new GenerationalMemoryLRUCacher({ ttl: 60, maxParamsLength: 200, max: cfg.cacheMaxEntries }),

    serializer: "JSON",

    logger: {
      type: "Console",
      options: {
        level: cfg.logLevel,
        colors: cfg.logFormat === "text",
        moduleColors: false,
        // JSON: one object per line with time, level, nodeID, service, and the
        // action (or event) and requestID of the handler that logs (LogScopeMiddleware).
        formatter: cfg.logFormat === "json" ? jsonLogFormatter : "short",
        autoPadding: false,
      },
    },

    requestTimeout: cfg.requestTimeoutMs,

    // Off by default: only idempotent actions opt in (`retryPolicy: { enabled: true }`
    // on the action), so a state change is never sent twice by the broker.
    retryPolicy: {
      enabled: false,
      retries: 3,
      delay: 100,
      maxDelay: 1000,
      factor: 2,
      check: (err: Error) => Boolean((err as Errors.MoleculerRetryableError).retryable),
    },

    // Dead nodes are dropped from the registry within ~2 heartbeat timeouts.
    heartbeatInterval: cfg.heartbeatIntervalSec,
    heartbeatTimeout: cfg.heartbeatTimeoutSec,

    // Graceful shutdown waits for in-flight requests before the node leaves.
    tracking: { enabled: true, shutdownTimeout: 10_000 },

    registry: { strategy: cfg.balancerStrategy, preferLocal: true },

    circuitBreaker: {
      enabled: true,
      threshold: 0.5,
      windowTime: 60,
      minRequestCount: 20,
      halfOpenTime: 10_000,
      // Client errors (declines, validation, conflicts) say nothing about the callee's health.
      check: (err: Error) => {
        const code = (err as Errors.MoleculerError).code;
        return typeof code === "number" && code >= 500;
      },
    },

    // Per action where it matters (the gateway's outbound calls); a broker-wide
    // default would throttle every service to the same concurrency.
    bulkhead: { enabled: false, concurrency: 100, maxQueueSize: 1000 },

    // Moleculer's own Prometheus output fails `promtool check metrics`; this reporter's passes.
    metrics: platformMetricsOptions(cfg.metricsPort),

    tracing: {
      enabled: Boolean(cfg.tracingExporter),
      exporter: (cfg.tracingExporter ? [{ type: cfg.tracingExporter }] : []) as TracerOptions["exporter"],
      // Params and meta carry passwords, card numbers and tokens: spans get neither by default
      // (an action may list safe params itself), and errors without their data.
      tags: { action: { params: false, meta: false }, event: { params: false, meta: false } },
      errorFields: ["name", "message", "code", "type"],
    },

    validator: new ScrubbingValidator(),

    // LogScope last: it wraps the others, so their lines carry the action and request id too.
    // LogScope last (innermost), so the lines the others log carry the action and request id.
    middlewares: [
      RequestLogContext,
      TransporterLinkMiddleware,
      ...(cfg.faultInjection || cfg.faultRules.length > 0 ? [FaultInjection(cfg.faultRules)] : []),
      ...(cfg.catalogCache && runsGateway(cfg) ? [CallerCache(GATEWAY_CATALOG_CACHE)] : []),
      LogScopeMiddleware,
    ],

    // Operator commands of `npm run repl` (and of `npm run dev`'s REPL).
    replOptions: { customCommands: replCommands },

    metadata: { dataBackend: cfg.mongoUri ? "mongo" : "nedb" },
  };
}

export default brokerOptions(config);
