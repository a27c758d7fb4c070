/**
 * The orders settings from the environment (platform/config.ts): the recovery
 * sweeper's interval and lease, and the crash-test fault switch, which is
 * off unless set, refused in production and checked against the saga's steps.
 */
import { ServiceBroker } from "moleculer";
import { ConfigError, loadConfig } from "../../platform/config";
import { ordersService } from "./orders-platform";

describe("orders configuration", () => {
  it("sweeps every 30 s for sagas stopped 60 s ago, with no fault injected, by default", () => {
    expect(loadConfig({ NODE_ENV: "test" })).toMatchObject({ orderRecoveryIntervalSec: 30, orderStaleAfterSec: 60, faultCrashAfterStep: undefined });
  });

  it("reads ORDER_RECOVERY_INTERVAL (0: off), ORDER_STALE_AFTER and FAULT_CRASH_AFTER_STEP", () => {
    const cfg = loadConfig({ NODE_ENV: "test", ORDER_RECOVERY_INTERVAL: "0", ORDER_STALE_AFTER: "5", REQUEST_TIMEOUT: "2000", FAULT_CRASH_AFTER_STEP: "authorized" });
    expect(cfg).toMatchObject({ orderRecoveryIntervalSec: 0, orderStaleAfterSec: 5, faultCrashAfterStep: "authorized" });
    expect(() => loadConfig({ ORDER_STALE_AFTER: "0" })).toThrow(ConfigError);
  });

  it("refuses a crash switch in production", () => {
    const production = { NODE_ENV: "production", JWT_SECRET: "s".repeat(32), ADMIN_EMAIL: "a@b.c", ADMIN_PASSWORD: "long-enough-password" };
    expect(() => loadConfig({ ...production, FAULT_CRASH_AFTER_STEP: "authorized" })).toThrow(/FAULT_CRASH_AFTER_STEP/);
  });

  it("refuses to start an orders service whose crash switch names no saga step", async () => {
    const broker = new ServiceBroker({ logger: false });
    expect(() => broker.createService(ordersService({ faultCrashAfterStep: "nowhere" }))).toThrow(/FAULT_CRASH_AFTER_STEP must be one of/);
    await broker.stop();
  });
});
