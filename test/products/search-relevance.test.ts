/**
 * What a shopper types and the product they mean, on the seeded demo catalog
 * (services/products/seed-catalog.ts): the product must be in the top 3 of
 * the ranked search. Misspellings, plurals, description words, skus and
 * several words at once.
 */
import { CatalogSearch } from "../../services/products/catalog-search";
import { demoCatalog } from "../../services/products/seed-catalog";
import { RELEVANCE_QUERIES as QUERIES } from "../../bench/lib/search-queries";


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
