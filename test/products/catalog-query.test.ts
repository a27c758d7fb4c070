/**
 * services/products/catalog-query.ts: the filter, sort and page of GET /products built from
 * validated parameters, with the client's text kept literal.
 */
import { buildCatalogQuery, escapeRegExp, priceRangeProblem } from "../../services/products/catalog-query";
import { toPage } from "../../contracts/paging";

describe("escapeRegExp", () => {
  it.each([".*", "(", "a+b?", "[x]", "^$", "{2}", "a|b", "back\\slash"])("makes %j match only itself", (text) => {
    const pattern = new RegExp(escapeRegExp(text));
    expect(pattern.test(text)).toBe(true);
    expect(pattern.test("plain words")).toBe(false);
  });
});

describe("buildCatalogQuery", () => {
  it("lists only what is not archived, newest first, 20 a page, by default", () => {
    expect(buildCatalogQuery({})).toEqual({
      query: { archived: { $ne: true } },
      sort: ["-createdAt", "_id"],
      limit: 20,
      offset: 0,
      page: 1,
      pageSize: 20,
    });
  });

  it("matches q case-insensitively in name or description, as literal text", () => {
    const { query } = buildCatalogQuery({ q: "  mug (large)  " });
    const or = query.$or as { [field: string]: { $regex: RegExp } }[];
    expect(or.map((clause) => Object.keys(clause)[0])).toEqual(["name", "description"]);
    const pattern = or[0].name.$regex;
    expect(pattern.flags).toBe("i");
    expect(pattern.test("Big MUG (LARGE) blue")).toBe(true);
    expect(pattern.test("mug large")).toBe(false);
  });

  it("ignores a blank q", () => {
    expect(buildCatalogQuery({ q: "   " }).query.$or).toBeUndefined();
  });

  it("puts category, price range and inStock into fixed places of the filter", () => {
    expect(buildCatalogQuery({ category: "books", minPrice: 100, maxPrice: 900, inStock: true }).query).toEqual({
      archived: { $ne: true },
      category: "books",
      price: { $gte: 100, $lte: 900 },
      stock: { $gt: 0 },
    });
    expect(buildCatalogQuery({ minPrice: 0 }).query.price).toEqual({ $gte: 0 });
    expect(buildCatalogQuery({ inStock: false }).query.stock).toBeUndefined();
  });

  it("sorts by the chosen field, then by id for a stable order", () => {
    expect(buildCatalogQuery({ sort: "-price" }).sort).toEqual(["-price", "_id"]);
    // The console's "low stock first".
    expect(buildCatalogQuery({ sort: "stock" }).sort).toEqual(["stock", "_id"]);
  });

  it("turns page and pageSize into limit and offset, never above 100 a page", () => {
    expect(buildCatalogQuery({ page: 3, pageSize: 25 })).toMatchObject({ limit: 25, offset: 50, page: 3, pageSize: 25 });
    expect(buildCatalogQuery({ pageSize: 500 }).limit).toBe(100);
  });
});

describe("priceRangeProblem", () => {
  it("names maxPrice when the range is empty", () => {
    expect(priceRangeProblem({ minPrice: 10, maxPrice: 5 })).toMatchObject({ field: "maxPrice" });
    expect(priceRangeProblem({ minPrice: 5, maxPrice: 5 })).toBeNull();
    expect(priceRangeProblem({ minPrice: 5 })).toBeNull();
  });
});

describe("toPage", () => {
  it("answers docs/api.md's page shape", () => {
    expect(toPage(["a"], 41, 3, 20)).toEqual({ rows: ["a"], total: 41, page: 3, pageSize: 20, totalPages: 3 });
    expect(toPage([], 0, 1, 20).totalPages).toBe(0);
  });
});
