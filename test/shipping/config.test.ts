/**
 * The shipping settings in platform/config.ts: defaults that run embedded, and
 * values that would misbehave refused at start.
 */
import { loadConfig } from "../../platform/config";

describe("shipping settings from the environment", () => {
  it("default to shipping from the US, free standard shipping from 50.00 and no carrier timer", () => {
    expect(loadConfig({})).toMatchObject({ shippingOriginCountry: "US", freeShippingThreshold: 5000, shippingCarrierTimerSec: 0 });
  });

  it("are read from the environment, the country in any case", () => {
    const cfg = loadConfig({ SHIPPING_ORIGIN_COUNTRY: "de", FREE_SHIPPING_THRESHOLD: "0", SHIPPING_CARRIER_TIMER: "30" });
    expect(cfg).toMatchObject({ shippingOriginCountry: "DE", freeShippingThreshold: 0, shippingCarrierTimerSec: 30 });
  });

  it("refuse an unknown country and a negative threshold", () => {
    expect(() => loadConfig({ SHIPPING_ORIGIN_COUNTRY: "XX" })).toThrow(/SHIPPING_ORIGIN_COUNTRY/);
    expect(() => loadConfig({ SHIPPING_ORIGIN_COUNTRY: "Germany" })).toThrow(/SHIPPING_ORIGIN_COUNTRY/);
    expect(() => loadConfig({ FREE_SHIPPING_THRESHOLD: "-5" })).toThrow(/FREE_SHIPPING_THRESHOLD/);
  });
});
