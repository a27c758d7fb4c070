/**
 * The payments settings in platform/config.ts: defaults that run embedded, and
 * values that would misbehave refused at start.
 */
import { loadConfig } from "../../platform/config";

describe("payment settings from the environment", () => {
  it("default to the simulated processor with a little latency and three retries", () => {
    expect(loadConfig({})).toMatchObject({ paymentGateway: "simulated", paymentGatewayLatencyMs: 50, paymentGatewayRetries: 3, paymentGatewayRetryDelayMs: 100 });
  });

  it("are read from PAYMENT_GATEWAY*", () => {
    const cfg = loadConfig({ PAYMENT_GATEWAY: "acme", PAYMENT_GATEWAY_LATENCY_MS: "0", PAYMENT_GATEWAY_RETRIES: "5", PAYMENT_GATEWAY_RETRY_DELAY_MS: "20" });
    expect(cfg).toMatchObject({ paymentGateway: "acme", paymentGatewayLatencyMs: 0, paymentGatewayRetries: 5, paymentGatewayRetryDelayMs: 20 });
  });

  it("refuse numbers that are not whole and non-negative", () => {
    expect(() => loadConfig({ PAYMENT_GATEWAY_RETRIES: "-1" })).toThrow(/PAYMENT_GATEWAY_RETRIES/);
    expect(() => loadConfig({ PAYMENT_GATEWAY_LATENCY_MS: "fast" })).toThrow(/PAYMENT_GATEWAY_LATENCY_MS/);
  });
});
