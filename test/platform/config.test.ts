import path from "node:path";
import { loadConfig } from "../../platform/config";

describe("configuration from the environment", () => {
  it("runs embedded with no variables set", () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({
      transporter: undefined,
      mongoUri: undefined,
      redisUrl: undefined,
      services: undefined,
      port: 3000,
      metricsPort: 3030,
      dataDir: path.resolve("./data"),
      logFormat: "text",
      seed: true,
    });
  });

  it("reads a cluster's settings", () => {
    const cfg = loadConfig({ TRANSPORTER: "nats://nats:4222", NATS_USER: "shop", NATS_PASSWORD: "b7e4d91c2a6f", SERVICES: "products, cart", NODE_ENV: "production", SEED: "false" });
    expect(cfg).toMatchObject({ transporter: "nats://nats:4222", services: ["products", "cart"], production: true, logFormat: "json", seed: false });
  });

  it("refuses values that would misbehave later", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ REQUEST_TIMEOUT: "0" })).toThrow(/REQUEST_TIMEOUT/);
    expect(() => loadConfig({ BALANCER_STRATEGY: "Fastest" })).toThrow(/BALANCER_STRATEGY/);
    expect(() => loadConfig({ TRACING_EXPORTER: "Stdout" })).toThrow(/TRACING_EXPORTER/);
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT/);
  });
});

describe("fault-injection switches", () => {
  it("are refused in production when on, and fine there when off", () => {
    expect(() => loadConfig({ NODE_ENV: "production", FAULT_INJECTION: "true" })).toThrow(/FAULT_INJECTION/);
    expect(loadConfig({ NODE_ENV: "production", FAULT_INJECTION: "0", FAULT_CRASH_AFTER_STEP: "off" })).toMatchObject({ faultInjection: false, faultCrashAfterStep: undefined });
  });
});

describe("settings that contradict each other", () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it("refuses a recovery sweeper that would take over running checkouts, naming both settings", () => {
    const message = refusal({ ORDER_STALE_AFTER: "10", REQUEST_TIMEOUT: "10000" });
    expect(message).toMatch(/ORDER_STALE_AFTER \(10 s\).*REQUEST_TIMEOUT \(10000 ms\)/);
    expect(loadConfig({ ORDER_STALE_AFTER: "11", REQUEST_TIMEOUT: "10000" }).orderStaleAfterSec).toBe(11);
  });

  it("refuses a durable event's ack wait at or below the request timeout its handler's calls may take", () => {
    expect(refusal({ EVENTS_ACK_WAIT_MS: "5000", REQUEST_TIMEOUT: "5000" })).toMatch(/EVENTS_ACK_WAIT_MS \(5000 ms\).*REQUEST_TIMEOUT \(5000 ms\)/);
    expect(loadConfig({ EVENTS_ACK_WAIT_MS: "5001", REQUEST_TIMEOUT: "5000", ORDER_STALE_AFTER: "60" }).eventsAckWaitMs).toBe(5001);
  });

  it("refuses more JetStream copies than the NATS servers TRANSPORTER lists, and cannot count behind one address", () => {
    expect(refusal({ JETSTREAM_REPLICAS: "3", TRANSPORTER: "nats://a:4222,nats://b:4222" })).toMatch(/JETSTREAM_REPLICAS \(3\).*TRANSPORTER.*\(2/);
    expect(loadConfig({ JETSTREAM_REPLICAS: "3", TRANSPORTER: "nats://a:4222,nats://b:4222,nats://c:4222" }).jetstreamReplicas).toBe(3);
    expect(loadConfig({ JETSTREAM_REPLICAS: "3", TRANSPORTER: "nats://nats:4222" }).jetstreamReplicas).toBe(3);
  });

  it("refuses a heartbeat timeout a live node could miss between two heartbeats", () => {
    expect(refusal({ HEARTBEAT_INTERVAL: "5", HEARTBEAT_TIMEOUT: "5" })).toMatch(/HEARTBEAT_TIMEOUT \(5 s\).*HEARTBEAT_INTERVAL \(5 s\)/);
  });

  it("names every conflict at once", () => {
    const message = refusal({ ORDER_STALE_AFTER: "1", EVENTS_ACK_WAIT_MS: "1000", REQUEST_TIMEOUT: "5000" });
    expect(message).toMatch(/ORDER_STALE_AFTER/);
    expect(message).toMatch(/EVENTS_ACK_WAIT_MS/);
  });

  it("finds none in the defaults, docker-compose's or k8s'", () => {
    expect(() => loadConfig({})).not.toThrow();
    const productionSecrets = {
      JWT_SECRET: "9f3b2c7d1e5a4b6c8d0e2f4a6b8c0d1e3f5a7b9c",
      ADMIN_PASSWORD: "a-real-admin-password-of-this-test",
      NATS_USER: "shop",
      NATS_PASSWORD: "a-real-nats-password-of-this-test",
      SIMULATED_PAYMENTS_MOVE_NO_MONEY: "true",
    };
    expect(() => loadConfig({ NODE_ENV: "production", TRANSPORTER: "nats://nats:4222", JETSTREAM_REPLICAS: "3", ...productionSecrets })).not.toThrow();
  });
});
