/**
 * The demo catalog, the synthetic catalog generator and the category tally:
 * every product they make passes the same rules as an admin's create.
 */
import { Validators } from "moleculer";
import { demoCatalog } from "../../services/products/seed-catalog";
import { generatedSku, syntheticProduct } from "../../services/products/catalog-generator";
import { categoryCounts, tallyCategories } from "../../services/products/category-counts";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { MAX_STOCK, PRODUCT_FIELDS } from "../../services/products/product-model";

const check = new Validators.Fastest().compile({
  ...PRODUCT_FIELDS,
  stock: { type: "number", integer: true, min: 0, max: MAX_STOCK },
  reserved: { type: "equal", value: 0 },
  archived: { type: "equal", value: false },
  createdAt: { type: "date" },
  updatedAt: { type: "date" },
  $$strict: true,
}) as (value: object) => true | unknown[];

describe("demoCatalog", () => {
  const catalog = demoCatalog(new Date("2030-06-01T12:00:00Z"));

  it("has 50+ valid products with unique skus over several categories", () => {
    expect(catalog.length).toBeGreaterThanOrEqual(50);
    for (const product of catalog) expect(check({ ...product })).toBe(true);
    expect(check({ ...catalog[0], price: 19.99 })).not.toBe(true);
    expect(new Set(catalog.map((p) => p.sku)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.category)).size).toBeGreaterThanOrEqual(5);
  });

  it("has sold-out and nearly sold-out items, and distinct creation times", () => {
    expect(catalog.some((p) => p.stock === 0)).toBe(true);
    expect(catalog.some((p) => p.stock > 0 && p.stock < 5)).toBe(true);
    expect(new Set(catalog.map((p) => new Date(p.createdAt).getTime())).size).toBe(catalog.length);
  });
});

describe("syntheticProduct", () => {
  const now = new Date("2030-06-01T12:00:00Z");

  it("makes valid products with unique skus", () => {
    const products = Array.from({ length: 2000 }, (_, i) => syntheticProduct(i, now));
    for (const product of products) expect(check({ ...product })).toBe(true);
    expect(new Set(products.map((p) => p.sku)).size).toBe(products.length);
    expect(products[41].sku).toBe(generatedSku(41));
  });

  it("makes the same product for the same index every time", () => {
    expect(syntheticProduct(99_999, now)).toEqual(syntheticProduct(99_999, now));
    expect(syntheticProduct(1, now).name).not.toEqual(syntheticProduct(2, now).name);
  });
});

describe("tallyCategories", () => {
  it("counts per category by name and skips empty ones", () => {
    expect(tallyCategories(["toys", "books", "toys", "", undefined, 3])).toEqual([
      { name: "books", count: 1 },
      { name: "toys", count: 2 },
    ]);
  });
});

describe("categoryCounts", () => {
  it("lets MongoDB group the listed products instead of reading them all", async () => {
    const aggregate = jest.fn(() => ({
      toArray: async () => [
        { _id: "toys", count: 4 },
        { _id: null, count: 1 },
        { _id: "books", count: 2 },
      ],
    }));
    const mongoLike = { collection: { aggregate }, find: jest.fn() } as unknown as DbAdapter;
    expect(await categoryCounts(mongoLike)).toEqual([
      { name: "books", count: 2 },
      { name: "toys", count: 4 },
    ]);
    expect(aggregate).toHaveBeenCalledWith([{ $match: { archived: { $ne: true } } }, { $group: { _id: "$category", count: { $sum: 1 } } }]);
    expect((mongoLike as unknown as { find: jest.Mock }).find).not.toHaveBeenCalled();
  });

  it("counts what it reads where the database cannot group (NeDB)", async () => {
    const find = jest.fn(async () => [{ category: "toys" }, { category: "toys" }, { category: "books" }]);
    expect(await categoryCounts({ find } as unknown as DbAdapter)).toEqual([
      { name: "books", count: 1 },
      { name: "toys", count: 2 },
    ]);
    expect(find).toHaveBeenCalledWith({ query: { archived: { $ne: true } } });
  });
});
