/**
 * What a shopper types and the product they mean, on the seeded demo catalog
 * (services/products/seed-catalog.ts): the product must be in the top 3 of
 * the ranked search. Misspellings, plurals, description words, skus and
 * several words at once.
 */
import { CatalogSearch } from "../../services/products/catalog-search";
import { demoCatalog } from "../../services/products/seed-catalog";

const QUERIES: [query: string, sku: string][] = [
  ["headphones", "EL-1001"],
  ["hedphones", "EL-1001"],
  ["noise cancelling headphones", "EL-1001"],
  ["wireless headphone", "EL-1001"],
  ["bluetooth speaker", "EL-1002"],
  ["speakr", "EL-1002"],
  ["usb-c charger", "EL-1003"],
  ["webcam", "EL-1004"],
  ["mechanical keybord", "EL-1005"],
  ["skillet", "KI-2001"],
  ["cast iron pan", "KI-2001"],
  ["kettle", "KI-2002"],
  ["chef knives", "KI-2003"],
  ["cutting boards", "KI-2004"],
  ["french pres", "KI-2005"],
  ["distributed systems", "BO-3002"],
  ["typescript", "BO-3006"],
  ["vegetarian recipes", "BO-3003"],
  ["thriller", "BO-3005"],
  ["islands atlas", "BO-3004"],
  ["tent", "OU-4005"],
  ["sleeping bag", "OU-4004"],
  ["trekking poles", "OU-4002"],
  ["headlamp", "OU-4007"],
  ["merino sweater", "CL-5001"],
  ["rain jacket", "CL-5003"],
  ["hiking sock", "CL-5005"],
  ["jigsaw puzzle", "TO-6002"],
  ["remote control car", "TO-6003"],
  ["sunscreen", "BE-7001"],
  ["sunscren", "BE-7001"],
  ["toothbrush", "BE-7005"],
  ["shampoo", "BE-7007"],
  ["notebook", "OF-8001"],
  ["laptop stand", "OF-8002"],
  ["desk lamp", "OF-8005"],
  ["whitebord", "OF-8006"],
  ["OF-8003", "OF-8003"],
];

const catalog = demoCatalog(new Date("2026-01-01T00:00:00Z")).map((product) => ({ ...product, id: product.sku }));
const search = new CatalogSearch();
for (const product of catalog) search.put(product);

describe("ranked search on the seeded catalog", () => {
  it("has at least 20 queries to answer", () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(QUERIES)("'%s' finds %s in the top 3", (query, sku) => {
    const { ids } = search.search(query, {}, "relevance", false);
    expect(ids.slice(0, 3)).toContain(sku);
  });
});
