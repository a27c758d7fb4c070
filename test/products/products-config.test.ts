/**
 * The settings products reads from the environment (platform/config.ts).
 */
import { ConfigError, loadConfig } from "../../platform/config";

describe("products configuration", () => {
  it("holds reservations 15 minutes, sweeps every 30 s, warns below 5 units and caches the catalog by default", () => {
    expect(loadConfig({})).toMatchObject({ reservationTtlSec: 900, reservationSweepIntervalSec: 30, lowStockThreshold: 5, catalogCache: true });
  });

  it("reads RESERVATION_TTL, RESERVATION_SWEEP_INTERVAL (0: off), LOW_STOCK_THRESHOLD and CATALOG_CACHE", () => {
    const cfg = loadConfig({ RESERVATION_TTL: "60", RESERVATION_SWEEP_INTERVAL: "0", LOW_STOCK_THRESHOLD: "12", CATALOG_CACHE: "false" });
    expect(cfg).toMatchObject({ reservationTtlSec: 60, reservationSweepIntervalSec: 0, lowStockThreshold: 12, catalogCache: false });
  });

  it.each([
    ["RESERVATION_TTL", "0"],
    ["RESERVATION_TTL", "1.5"],
    ["RESERVATION_SWEEP_INTERVAL", "-1"],
    ["LOW_STOCK_THRESHOLD", "few"],
  ])("refuses %s=%s, naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
