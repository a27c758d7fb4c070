/**
 * Every setting of the platform, read from the environment in this one place
 * so that the README table, docker-compose.yml and k8s/ can be checked against
 * it (test/deploy). Defaults run embedded: one process, no servers.
 */
import path from "node:path";
import { parseFaultRules, type FaultRule } from "./fault-rules";
import { isCountryCode } from "../contracts/countries";
import { settingConflicts } from "./setting-conflicts";
import { parseTrustProxy, TrustProxyError, type TrustProxy } from "./client-address";
import { ConfigError } from "./config-error";
import { nodeEnvOf, type NodeEnv } from "./environment";
import { passwordInUrl, refusePlaceholderSecrets } from "./placeholder-secrets";
import { hasNatsCredentials, natsAuthSettings, type NatsAuthSettings } from "./nats-connection";

export { ConfigError };

export type Env = Record<string, string | undefined>;

export interface PlatformConfig extends NatsAuthSettings {
  nodeEnv: NodeEnv;
  production: boolean;
  /** The gateway's listening address (HOST): every interface in production, the loopback elsewhere. */
  host: string;
  namespace: string;
  nodeID: string | undefined;
  transporter: string | undefined;
  services: string[] | undefined;
  mongoUri: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  port: number;
  metricsPort: number;
  logLevel: string;
  logFormat: "json" | "text";
  requestTimeoutMs: number;
  /**
   * How long the gateway keeps an idle client connection open, ms (HTTP_KEEP_ALIVE_MS). Above the idle
   * timeout of the load balancers in front (60 s on most), so that they, not the gateway, close it: a
   * close from the gateway side races with the next request on that connection, which then fails.
   */
  httpKeepAliveMs: number;
  heartbeatIntervalSec: number;
  heartbeatTimeoutSec: number;
  balancerStrategy: string;
  tracingExporter: string | undefined;
  corsOrigins: string[] | undefined;
  /** Strict-Transport-Security max-age in seconds; 0 (default) sends none: only a shop served over HTTPS may set it. */
  hstsMaxAgeSec: number;
  /** The built storefront (web/dist) the gateway serves at /. */
  webDir: string;
  bodyLimit: string;
  authCacheTtlMs: number;
  authRateLimit: number;
  /** Which X-Forwarded-For entry names the client (TRUST_PROXY); none: the socket's peer. */
  trustProxy: TrustProxy;
  /** scrypt's N for new password hashes (PASSWORD_SCRYPT_N); older hashes are upgraded at their next login. */
  passwordScryptN: number;
  jwtSecret: string | undefined;
  jwtTtlSec: number;
  adminEmail: string;
  adminPassword: string;
  /** Both ADMIN_EMAIL and ADMIN_PASSWORD came from the environment (production refuses the dev defaults). */
  adminFromEnv: boolean;
  seed: boolean;
  /** Seconds a stock reservation holds its units before the sweeper gives them back. */
  reservationTtlSec: number;
  /** Seconds between sweeps for expired reservations; 0 turns the sweeper off. */
  reservationSweepIntervalSec: number;
  /** `stock.low` (durable) is written with the change that takes a product's available stock below this. */
  lowStockThreshold: number;
  /** Entries the in-process cacher keeps (CACHE_MAX_ENTRIES), least recently used out first. */
  cacheMaxEntries: number;
  /** Moleculer cacher on the catalog reads (get, list, categories). */
  catalogCache: boolean;
  /** Payment processor behind the payments service (PAYMENT_GATEWAY), by name from services/payments/payment-gateways.ts. */
  paymentGateway: string;
  /** Production may run the simulated processor only with this set (SIMULATED_PAYMENTS_MOVE_NO_MONEY): a shop that takes no money. */
  simulatedPaymentsMoveNoMoney: boolean;
  /** Simulated processing time of each call to the simulated gateway, ms. */
  paymentGatewayLatencyMs: number;
  /** Retries of a processor call that failed transiently, before answering 503. */
  paymentGatewayRetries: number;
  /** Backoff before the first of those retries (doubling, with jitter), ms. */
  paymentGatewayRetryDelayMs: number;
  /** Checkouts one user may start per CHECKOUT_LIMIT_WINDOW. */
  checkoutAttemptLimit: number;
  /** Declined payments one user, or one card, may have per CHECKOUT_LIMIT_WINDOW. */
  checkoutDeclineLimit: number;
  /** Seconds of the checkout limits' window, from its first attempt or decline. */
  checkoutLimitWindowSec: number;
  /** Order subtotal (minor units) from which standard shipping is free; 0: never free. */
  freeShippingThreshold: number;
  /** ISO country the shop ships from: decides the domestic/regional/international zone. */
  shippingOriginCountry: string;
  /** Seconds between the simulated carrier's steps of a shipment; 0: off (an admin advances). */
  shippingCarrierTimerSec: number;
  /** Seconds a cart lives after its last change (CART_TTL); every write renews it. */
  cartTtlSec: number;
  /** Deliveries of a durable event to a consuming group before it goes to the dead letters. */
  eventsMaxDeliveries: number;
  /** A durable event not acknowledged within this (its node died) goes to another node of the group, ms. */
  eventsAckWaitMs: number;
  /** Delay before the first redelivery of a failed durable event, doubling with each further one, ms. */
  eventsRetryDelayMs: number;
  /** Durable events one node of a consuming group handles at once. */
  eventsMaxInFlight: number;
  /** Seconds between outbox relay passes (each write also starts one): retries of unpublished events. */
  outboxRelayIntervalSec: number;
  /** Copies JetStream keeps of the durable-event streams (1 on a single server, 3 on a 3-server cluster). */
  jetstreamReplicas: number;
  /** Fault injection (crash tests only): a producer exits right after writing an event to its outbox, before publishing it. */
  faultCrashBeforePublish: boolean;
  /** SMTP server for notification mail (smtp://user:pass@host:587); unset: notifications go to the log. */
  smtpUrl: string | undefined;
  /** Sender of notification mail. */
  mailFrom: string;
  /** Bound on one SMTP delivery (connect, greeting, each command), ms. */
  smtpTimeoutMs: number;
  /** Seconds between sweeps for checkouts whose saga stopped (a crashed node); 0 turns the sweeper off. */
  orderRecoveryIntervalSec: number;
  /** Seconds a checkout step holds its order (the saga's lease) before a sweeper may take it over. */
  orderStaleAfterSec: number;
  /** Fault injection (crash tests only): the orders process exits right after recording this saga step. */
  faultCrashAfterStep: string | undefined;
  /** Fault rules may be set (FAULT_INJECTION); the initial ones (FAULT_RULES). */
  faultInjection: boolean;
  faultRules: FaultRule[];
  /** Admission control at the gateway (services/api/admission.ts); off: no limit but the `rest` bulkhead. */
  admissionControl: boolean;
  /** Requests of each route class a gateway node handles at once (ADMISSION_CONCURRENCY). */
  admissionConcurrency: AdmissionConcurrency;
  /** Longest wait of a request for a slot of its class before a 503, ms. */
  admissionQueueMs: number;
  /** Latency the adaptive limits keep admitted requests under, ms; 0: the limits stay as configured. */
  admissionLatencyTargetMs: number;
  /** Webhook endpoints may resolve to loopback, private and link-local addresses (WEBHOOKS_ALLOW_PRIVATE; default: outside production only). */
  webhooksAllowPrivate: boolean;
  /** Delays before each retry of a failed webhook delivery, e.g. "5s,5m,2h" (WEBHOOKS_RETRY_SCHEDULE; parseDurationList); after the last the delivery is dead. */
  webhooksRetrySchedule: string;
  /** A webhook receiver that has not answered within this fails the attempt, ms. */
  webhooksTimeoutMs: number;
  /** An endpoint failing every attempt for this long is disabled and the admin told, seconds. */
  webhooksDisableAfterSec: number;
  /** After a secret rotation the old secret still signs for this long, seconds. */
  webhooksSecretOverlapSec: number;
  /** Between looks for webhook deliveries that are due (each new event also starts one), ms. */
  webhooksPollIntervalMs: number;
}

export interface AdmissionConcurrency {
  checkout: number;
  cart: number;
  catalog: number;
  admin: number;
}


function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw == null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function decimal(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw == null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function countryCode(env: Env, name: string, fallback: string): string {
  const value = (env[name] || fallback).trim().toUpperCase();
  if (!isCountryCode(value)) throw new ConfigError(`${name} must be an ISO 3166-1 alpha-2 country code, got "${env[name]}"`);
  return value;
}

function list(raw: string | undefined): string[] | undefined {
  if (raw == null || raw.trim() === "") return undefined;
  return raw.split(",").map((s) => s.trim()).filter(Boolean);
}

function flag(raw: string | undefined, fallback: boolean): boolean {
  if (raw == null || raw === "") return fallback;
  return !["false", "0", "no", "off"].includes(raw.toLowerCase());
}

/** A fault-injection switch: off unless set, and refused in production, where it would only ever be a mistake. */
function faultInjection(env: Env, name: string, production: boolean): string | undefined {
  const raw = env[name]?.trim();
  // "0"/"false"/"off"/"no" mean off, as for every other switch, so they are fine in production too.
  const value = raw && !["0", "false", "off", "no"].includes(raw.toLowerCase()) ? raw : undefined;
  if (value && production) throw new ConfigError(`${name} is for crash tests and must not be set when NODE_ENV=production`);
  return value;
}

function faultRulesFrom(raw: string | undefined): FaultRule[] {
  if (!raw) return [];
  try {
    return parseFaultRules(JSON.parse(raw));
  } catch (err) {
    throw new ConfigError(`FAULT_RULES: ${(err as Error).message}`);
  }
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5s,5m,30m,2h" -> milliseconds; each entry a whole number with a unit (ms, s, m, h, d). `name` is the setting, for the error. */
export function parseDurationList(raw: string, name: string): number[] {
  return raw.split(",").map((part) => {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(part.trim());
    if (!match) throw new ConfigError(`${name} must be a comma-separated list of durations like 5s,5m,2h (units ms, s, m, h, d), got "${raw}"`);
    return Number(match[1]) * DURATION_UNITS_MS[match[2]];
  });
}

function durationList(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  parseDurationList(raw, name);
  return raw;
}

/** JetStream keeps 1 to 5 copies of a stream; more than the cluster's servers is refused by the server. */
function jetstreamReplicas(env: Env): number {
  const replicas = integer(env, "JETSTREAM_REPLICAS", 1, 1);
  if (replicas > 5) throw new ConfigError(`JETSTREAM_REPLICAS must be between 1 and 5 (JetStream's limit), got "${env.JETSTREAM_REPLICAS}"`);
  return replicas;
}

const ADMISSION_DEFAULTS: AdmissionConcurrency = { checkout: 16, cart: 64, catalog: 256, admin: 16 };

/** `checkout=16,catalog=200`: the classes named change, the others keep their default. */
function admissionConcurrency(env: Env): AdmissionConcurrency {
  const limits = { ...ADMISSION_DEFAULTS };
  for (const pair of list(env.ADMISSION_CONCURRENCY) ?? []) {
    const [name, raw] = pair.split("=").map((part) => part.trim());
    const value = Number(raw);
    if (!Object.hasOwn(limits, name) || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(`ADMISSION_CONCURRENCY takes class=count pairs (classes: ${Object.keys(limits).join(", ")}; count >= 1), got "${pair}"`);
    }
    limits[name as keyof AdmissionConcurrency] = value;
  }
  return limits;
}

function trustProxy(env: Env): TrustProxy {
  try {
    return parseTrustProxy(env.TRUST_PROXY);
  } catch (err) {
    if (err instanceof TrustProxyError) throw new ConfigError(err.message);
    throw err;
  }
}

/** A power of two from 2^14 to 2^18 (memory 16 to 256 MiB); production takes no less than OWASP's 2^17. */
function passwordScryptN(env: Env, production: boolean): number {
  const n = integer(env, "PASSWORD_SCRYPT_N", 2 ** 17, 1);
  const floor = production ? 2 ** 17 : 2 ** 14;
  if ((n & (n - 1)) !== 0 || n < floor || n > 2 ** 18) {
    throw new ConfigError(`PASSWORD_SCRYPT_N must be a power of two from ${floor} to ${2 ** 18}, got "${env.PASSWORD_SCRYPT_N}"`);
  }
  return n;
}

const STRATEGIES = ["RoundRobin", "Random", "CpuUsage", "Latency", "Shard"];
const TRACING_EXPORTERS = ["Console", "Zipkin", "Jaeger", "Event", "Datadog", "NewRelic"];

export function loadConfig(env: Env = process.env): PlatformConfig {
  const nodeEnv = nodeEnvOf(env);
  const production = nodeEnv === "production";
  if (production) {
    refusePlaceholderSecrets({
      JWT_SECRET: env.JWT_SECRET || undefined,
      ADMIN_PASSWORD: env.ADMIN_PASSWORD || undefined,
      "MONGO_URI's password": passwordInUrl(env.MONGO_URI ?? ""),
      "REDIS_URL's password": passwordInUrl(env.REDIS_URL ?? ""),
      "TRANSPORTER's password": passwordInUrl(env.TRANSPORTER ?? ""),
      "SMTP_URL's password": passwordInUrl(env.SMTP_URL ?? ""),
      NATS_PASSWORD: env.NATS_PASSWORD || undefined,
    });
  }
  const nats = natsAuthSettings(env);
  // An open NATS lets anyone on the network join as a node: production does not start on one.
  if (production && env.TRANSPORTER && !hasNatsCredentials(nats, env.TRANSPORTER)) {
    throw new ConfigError("TRANSPORTER needs credentials when NODE_ENV=production: NATS_USER and NATS_PASSWORD, or NATS_CREDS_FILE");
  }
  const balancerStrategy = env.BALANCER_STRATEGY || "RoundRobin";
  if (!STRATEGIES.includes(balancerStrategy)) {
    throw new ConfigError(`BALANCER_STRATEGY must be one of ${STRATEGIES.join(", ")}`);
  }
  const tracingExporter = env.TRACING_EXPORTER || undefined;
  if (tracingExporter && !TRACING_EXPORTERS.includes(tracingExporter)) {
    throw new ConfigError(`TRACING_EXPORTER must be one of ${TRACING_EXPORTERS.join(", ")}`);
  }
  const logFormat = (env.LOG_FORMAT || (production ? "json" : "text")) as "json" | "text";
  if (logFormat !== "json" && logFormat !== "text") throw new ConfigError(`LOG_FORMAT must be json or text`);

  const cfg: PlatformConfig = {
    ...nats,
    nodeEnv,
    production,
    namespace: env.NAMESPACE || "shop",
    nodeID: env.NODE_ID || undefined,
    transporter: env.TRANSPORTER || undefined,
    services: list(env.SERVICES),
    mongoUri: env.MONGO_URI || undefined,
    redisUrl: env.REDIS_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || "./data"),
    host: env.HOST || (production ? "0.0.0.0" : "127.0.0.1"),
    port: integer(env, "PORT", 3000),
    metricsPort: integer(env, "METRICS_PORT", 3030),
    logLevel: env.LOG_LEVEL || (nodeEnv === "test" ? "warn" : "info"),
    logFormat,
    requestTimeoutMs: integer(env, "REQUEST_TIMEOUT", 10_000, 1),
    httpKeepAliveMs: integer(env, "HTTP_KEEP_ALIVE_MS", 65_000, 1),
    heartbeatIntervalSec: decimal(env, "HEARTBEAT_INTERVAL", 1),
    heartbeatTimeoutSec: decimal(env, "HEARTBEAT_TIMEOUT", 3),
    balancerStrategy,
    tracingExporter,
    corsOrigins: list(env.CORS_ORIGINS),
    hstsMaxAgeSec: integer(env, "HSTS_MAX_AGE", 0),
    webDir: path.resolve(env.WEB_DIR || "web/dist"),
    bodyLimit: env.BODY_LIMIT || "256kb",
    authCacheTtlMs: integer(env, "AUTH_CACHE_TTL", 5_000),
    authRateLimit: integer(env, "AUTH_RATE_LIMIT", 20, 1),
    trustProxy: trustProxy(env),
    passwordScryptN: passwordScryptN(env, production),
    jwtSecret: env.JWT_SECRET || undefined,
    jwtTtlSec: integer(env, "JWT_TTL", 3600, 1),
    adminEmail: env.ADMIN_EMAIL || "admin@shop.local",
    adminPassword: env.ADMIN_PASSWORD || "admin-password-dev",
    adminFromEnv: Boolean(env.ADMIN_EMAIL && env.ADMIN_PASSWORD),
    seed: flag(env.SEED, true),
    reservationTtlSec: integer(env, "RESERVATION_TTL", 900, 1),
    reservationSweepIntervalSec: integer(env, "RESERVATION_SWEEP_INTERVAL", 30),
    lowStockThreshold: integer(env, "LOW_STOCK_THRESHOLD", 5),
    catalogCache: flag(env.CATALOG_CACHE, true),
    cacheMaxEntries: integer(env, "CACHE_MAX_ENTRIES", 5000, 1),
    paymentGateway: env.PAYMENT_GATEWAY || "simulated",
    simulatedPaymentsMoveNoMoney: flag(env.SIMULATED_PAYMENTS_MOVE_NO_MONEY, false),
    paymentGatewayLatencyMs: integer(env, "PAYMENT_GATEWAY_LATENCY_MS", 50),
    paymentGatewayRetries: integer(env, "PAYMENT_GATEWAY_RETRIES", 3),
    paymentGatewayRetryDelayMs: integer(env, "PAYMENT_GATEWAY_RETRY_DELAY_MS", 100),
    checkoutAttemptLimit: integer(env, "CHECKOUT_ATTEMPT_LIMIT", 20, 1),
    checkoutDeclineLimit: integer(env, "CHECKOUT_DECLINE_LIMIT", 5, 1),
    checkoutLimitWindowSec: integer(env, "CHECKOUT_LIMIT_WINDOW", 3600, 1),
    freeShippingThreshold: integer(env, "FREE_SHIPPING_THRESHOLD", 5000),
    shippingOriginCountry: countryCode(env, "SHIPPING_ORIGIN_COUNTRY", "US"),
    shippingCarrierTimerSec: integer(env, "SHIPPING_CARRIER_TIMER", 0),
    cartTtlSec: integer(env, "CART_TTL", 7 * 24 * 3600, 1),
    eventsMaxDeliveries: integer(env, "EVENTS_MAX_DELIVERIES", 5, 1),
    eventsAckWaitMs: integer(env, "EVENTS_ACK_WAIT_MS", 30_000, 100),
    eventsRetryDelayMs: integer(env, "EVENTS_RETRY_DELAY_MS", 1000),
    eventsMaxInFlight: integer(env, "EVENTS_MAX_IN_FLIGHT", 10, 1),
    outboxRelayIntervalSec: integer(env, "OUTBOX_RELAY_INTERVAL", 5, 1),
    jetstreamReplicas: jetstreamReplicas(env),
    faultCrashBeforePublish: flag(faultInjection(env, "FAULT_CRASH_BEFORE_PUBLISH", production), false),
    smtpUrl: env.SMTP_URL || undefined,
    mailFrom: env.MAIL_FROM || "Moleculer Shop <no-reply@shop.local>",
    smtpTimeoutMs: integer(env, "SMTP_TIMEOUT_MS", 20_000, 1),
    orderRecoveryIntervalSec: integer(env, "ORDER_RECOVERY_INTERVAL", 30),
    orderStaleAfterSec: integer(env, "ORDER_STALE_AFTER", 60, 1),
    faultCrashAfterStep: faultInjection(env, "FAULT_CRASH_AFTER_STEP", production),
    faultInjection: flag(faultInjection(env, "FAULT_INJECTION", production), false),
    faultRules: faultRulesFrom(faultInjection(env, "FAULT_RULES", production)),
    admissionControl: flag(env.ADMISSION_CONTROL, true),
    admissionConcurrency: admissionConcurrency(env),
    // The client of an admitted request waits the queue too: 250 ms rather than 500 ms of it (docs/operations.md, Overload).
    admissionQueueMs: integer(env, "ADMISSION_QUEUE_MS", 250, 1),
    admissionLatencyTargetMs: integer(env, "ADMISSION_LATENCY_TARGET_MS", 750),
    webhooksAllowPrivate: flag(env.WEBHOOKS_ALLOW_PRIVATE, !production),
    // Standard Webhooks' suggested schedule, cut to end within 24 h of the first attempt.
    webhooksRetrySchedule: durationList(env, "WEBHOOKS_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,6h"),
    webhooksTimeoutMs: integer(env, "WEBHOOKS_TIMEOUT_MS", 10_000, 1),
    webhooksDisableAfterSec: integer(env, "WEBHOOKS_DISABLE_AFTER", 3 * 24 * 3600, 1),
    webhooksSecretOverlapSec: integer(env, "WEBHOOKS_SECRET_OVERLAP", 24 * 3600),
    webhooksPollIntervalMs: integer(env, "WEBHOOKS_POLL_INTERVAL_MS", 1_000, 10),
  };
  const conflicts = settingConflicts(cfg);
  if (conflicts.length > 0) throw new ConfigError(`Settings that contradict each other: ${conflicts.join("; ")}`);
  return cfg;
}

export const config = loadConfig();
