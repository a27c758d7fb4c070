/**
 * platform/broker/stock-cache-clean.ts: which cached answers a stock change
 * makes stale.
 */
import { mentions, stockClean, stockCleanPatterns } from "../../../platform/broker/stock-cache-clean";

describe("a stock change", () => {
  it("changes which products a list holds only when the stock crosses zero", () => {
    expect(stockClean("p1", 10, 8)).toEqual({ ids: ["p1"], membership: false });
    expect(stockClean("p1", 2, 0)).toEqual({ ids: ["p1"], membership: true });
    expect(stockClean("p1", 0, 5)).toEqual({ ids: ["p1"], membership: true });
  });

  it("shows in a product, an array of products and a page of them, not in other answers", () => {
    const ids = new Set(["p1"]);
    expect(mentions({ id: "p1", stock: 3 }, ids)).toBe(true);
    expect(mentions([{ id: "p2" }, { id: "p1" }], ids)).toBe(true);
    expect(mentions({ rows: [{ id: "p1" }], total: 1 }, ids)).toBe(true);
    expect(mentions({ rows: [{ id: "p2" }], total: 1 }, ids)).toBe(false);
    expect(mentions([{ name: "widgets", count: 3 }], ids)).toBe(false);
    expect(mentions(null, ids)).toBe(false);
  });

  it("cleans the product's page, every getMany and every list page from a cacher, never the categories", () => {
    const patterns = stockCleanPatterns("products", { ids: ["p1"], membership: false });
    expect(patterns).toEqual(["products.get:*p1*", "products.getMany:**", "products.list:**"]);
  });
});
