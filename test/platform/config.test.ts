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
