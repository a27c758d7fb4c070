import { loadConfig } from "../../platform/config";
import { ConfigError } from "../../platform/config-error";
import { isProduction, nodeEnvOf } from "../../platform/environment";
import { isPlaceholderSecret, refusePlaceholderSecrets } from "../../platform/placeholder-secrets";
import { createGateway } from "../../services/payments/payment-gateways";
import fs from "node:fs";
import path from "node:path";

const REAL = { JWT_SECRET: "9f2c6a0e4b8d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d", ADMIN_EMAIL: "owner@example.com", ADMIN_PASSWORD: "Tq8#vL2!pX9w" };

describe("NODE_ENV", () => {
  it("is development when unset, and one of exactly development, test, production otherwise", () => {
    expect(nodeEnvOf({})).toBe("development");
    expect(nodeEnvOf({ NODE_ENV: "test" })).toBe("test");
    expect(isProduction({ NODE_ENV: "production" })).toBe(true);
    for (const typo of ["prod", "Production", "production ", "staging"]) {
      expect(() => nodeEnvOf({ NODE_ENV: typo })).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: typo })).toThrow(/NODE_ENV/);
    }
  });
});

describe("the gateway's listening address", () => {
  it("is the loopback outside production unless HOST says otherwise, and every interface in production", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "test" }).host).toBe("127.0.0.1");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadConfig({ NODE_ENV: "production", ...REAL }).host).toBe("0.0.0.0");
  });
});

describe("secrets in production", () => {
  it("refuses the placeholders shipped in k8s/01-config.yaml", () => {
    const manifest = fs.readFileSync(path.join(__dirname, "../../k8s/01-config.yaml"), "utf8");
    const shipped = [...manifest.matchAll(/^\s+(JWT_SECRET|ADMIN_PASSWORD): (.+)$/gm)].map(([, name, value]) => [name, value.trim()] as const);
    expect(shipped.map(([name]) => name).sort()).toEqual(["ADMIN_PASSWORD", "JWT_SECRET"]);
    for (const [name, value] of shipped) {
      expect(() => loadConfig({ NODE_ENV: "production", ...REAL, [name]: value })).toThrow(new RegExp(name));
    }
  });

  it("refuses the development admin password and well-known defaults, also as a URL's password", () => {
    expect(() => loadConfig({ NODE_ENV: "production", ...REAL, ADMIN_PASSWORD: "admin-password-dev" })).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ NODE_ENV: "production", ...REAL, ADMIN_PASSWORD: "changeme" })).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ NODE_ENV: "production", ...REAL, MONGO_URI: "mongodb://shop:password@mongo:27017/shop" })).toThrow(/MONGO_URI/);
    expect(() => loadConfig({ NODE_ENV: "production", ...REAL, REDIS_URL: "redis://:replace-me-redis@redis:6379" })).toThrow(/REDIS_URL/);
    expect(() => refusePlaceholderSecrets({ X: "<your secret>" })).toThrow(ConfigError);
  });

  it("accepts real-looking secrets, and placeholders outside production", () => {
    expect(loadConfig({ NODE_ENV: "production", ...REAL, MONGO_URI: "mongodb://shop:Zr4q9LmW2x@mongo:27017/shop" }).production).toBe(true);
    expect(isPlaceholderSecret(REAL.JWT_SECRET)).toBe(false);
    expect(loadConfig({ NODE_ENV: "development", ADMIN_PASSWORD: "admin-password-dev" }).adminPassword).toBe("admin-password-dev");
  });
});

describe("the simulated payment processor", () => {
  it("is refused in production unless SIMULATED_PAYMENTS_MOVE_NO_MONEY says the shop takes no money", () => {
    const production = loadConfig({ NODE_ENV: "production", ...REAL });
    expect(() => createGateway("simulated", { latencyMs: 0 }, production)).toThrow(/SIMULATED_PAYMENTS_MOVE_NO_MONEY/);
    const demo = loadConfig({ NODE_ENV: "production", ...REAL, SIMULATED_PAYMENTS_MOVE_NO_MONEY: "true" });
    expect(createGateway("simulated", { latencyMs: 0 }, demo)).toBeDefined();
    expect(createGateway("simulated", { latencyMs: 0 }, loadConfig({ NODE_ENV: "development" }))).toBeDefined();
  });
});
