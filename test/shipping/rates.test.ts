/**
 * services/shipping/shipping-rates.ts: zones from the origin country, standard and express
 * prices by weight, and free standard shipping from the threshold.
 */
import { extraSteps, quoteShipping, zoneOf, type QuoteInput } from "../../services/shipping/shipping-rates";

const quote = (overrides: Partial<QuoteInput> = {}) =>
  quoteShipping({ method: "standard", origin: "US", destination: "US", weightGrams: 400, freeThreshold: 5000, ...overrides });

describe("zones", () => {
  it("are domestic, regional (the EU, North America) or international, seen from the origin", () => {
    expect(zoneOf("US", "US")).toBe("domestic");
    expect(zoneOf("US", "CA")).toBe("regional");
    expect(zoneOf("US", "DE")).toBe("international");
    expect(zoneOf("DE", "FR")).toBe("regional");
    expect(zoneOf("DE", "CH")).toBe("international");
    expect(zoneOf("JP", "KR")).toBe("international");
  });
});

describe("weight", () => {
  it("counts each started 500 g past the first", () => {
    expect([0, 1, 500, 501, 1000, 1001, 2500].map(extraSteps)).toEqual([0, 0, 0, 1, 1, 2, 4]);
  });
});

describe("quotes", () => {
  it("price standard and express by zone, in integer cents", () => {
    expect(quote()).toEqual({ method: "standard", amount: 499, currency: "USD", carrier: "ShopPost", estimatedDays: 5, zone: "domestic", weightGrams: 400, free: false });
    expect(quote({ method: "express" })).toMatchObject({ amount: 1299, carrier: "SwiftExpress", estimatedDays: 2 });
    expect(quote({ destination: "CA" })).toMatchObject({ amount: 999, zone: "regional", estimatedDays: 8 });
    expect(quote({ destination: "CA", method: "express" })).toMatchObject({ amount: 2499, estimatedDays: 3 });
    expect(quote({ destination: "JP" })).toMatchObject({ amount: 1499, zone: "international", carrier: "GlobalPost", estimatedDays: 14 });
    expect(quote({ destination: "JP", method: "express" })).toMatchObject({ amount: 3999, carrier: "SwiftExpress", estimatedDays: 5 });
  });

  it("grow with the weight", () => {
    expect(quote({ weightGrams: 1200 }).amount).toBe(499 + 2 * 100);
    expect(quote({ weightGrams: 1200, method: "express", destination: "JP" }).amount).toBe(3999 + 2 * 600);
    for (const q of [quote({ weightGrams: 123_457 }), quote({ weightGrams: 9_999_999, method: "express" })]) expect(Number.isInteger(q.amount)).toBe(true);
  });

  it("make standard shipping free from the threshold on, in every zone; express never", () => {
    expect(quote({ subtotal: 4999 })).toMatchObject({ amount: 499, free: false });
    expect(quote({ subtotal: 5000 })).toMatchObject({ amount: 0, free: true });
    expect(quote({ subtotal: 5000, destination: "JP", weightGrams: 5000 })).toMatchObject({ amount: 0, free: true });
    expect(quote({ subtotal: 100_000, method: "express" })).toMatchObject({ amount: 1299, free: false });
  });

  it("never make shipping free without a subtotal, or with the threshold at 0", () => {
    expect(quote({ subtotal: undefined }).free).toBe(false);
    expect(quote({ subtotal: 1_000_000, freeThreshold: 0 }).free).toBe(false);
  });
});
