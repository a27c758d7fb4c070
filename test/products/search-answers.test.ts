/**
 * The answers of CatalogSearch on a generated catalog larger than what an
 * answer cache entry keeps: totals and facets are exact (counted here by
 * brute force), deeper pages come from a search of their own, and every
 * change of the index is seen by the next query (the cache is emptied).
 */
import { CACHED_IDS, CatalogSearch, PRICE_BANDS, type SearchableProduct } from "../../services/products/catalog-search";
import { syntheticProduct } from "../../services/products/catalog-generator";

const now = new Date("2026-01-01T00:00:00Z");
// 8 categories in turn: 1/8 of them, 2,500, are electronics, more than one cached answer keeps.
const products: SearchableProduct[] = Array.from({ length: 20_000 }, (_, i) => ({ ...syntheticProduct(i, now), id: `p${i}` }));
const electronics = products.filter((p) => p.category === "electronics");

function bandCounts(list: SearchableProduct[]): number[] {
  return PRICE_BANDS.map(([min, max]) => list.filter((p) => p.price >= min && (max === null || p.price < max)).length);
}

function indexOf(list: SearchableProduct[], options?: ConstructorParameters<typeof CatalogSearch>[0]): CatalogSearch {
  const search = new CatalogSearch(options);
  for (const product of list) search.put(product);
  return search;
}

describe("search answers on 20,000 products", () => {
  const search = indexOf(products);

  it("counts every match and facets them exactly, though the cached answer keeps the first ids only", () => {
    expect(electronics.length).toBeGreaterThan(CACHED_IDS);
    const answer = search.search("electronics", {}, "relevance", true);
    expect(answer.total).toBe(electronics.length);
    expect(answer.ids).toHaveLength(CACHED_IDS);
    expect(answer.facets?.categories).toEqual([{ name: "electronics", count: electronics.length }]);
    expect(answer.facets?.priceBands.map((band) => band.count)).toEqual(bandCounts(electronics));
  });

  it("counts under filters exactly, each facet leaving its own filter out", () => {
    const filters = { maxPrice: 9999, inStock: true };
    const kept = electronics.filter((p) => p.price <= 9999 && p.stock > 0);
    const answer = search.search("electronics", filters, "price", true);
    expect(answer.total).toBe(kept.length);
    expect(answer.facets?.categories).toEqual([{ name: "electronics", count: kept.length }]);
    expect(answer.facets?.priceBands.map((band) => band.count)).toEqual(bandCounts(electronics.filter((p) => p.stock > 0)));
    const cheapest = [...kept].sort((a, b) => a.price - b.price || (a.id < b.id ? -1 : 1)).slice(0, 5);
    expect(answer.ids.slice(0, 5)).toEqual(cheapest.map((p) => p.id));
  });

  it("answers a page past the cached ids with a search of its own, in the same order", () => {
    const first = search.search("electronics", {}, "-price", false);
    const deep = search.search("electronics", {}, "-price", false, CACHED_IDS + 100);
    expect(deep.ids).toHaveLength(electronics.length);
    expect(deep.ids.slice(0, CACHED_IDS)).toEqual(first.ids);
    expect(deep.total).toBe(first.total);
  });

  it("answers the same as without the cache, for every kind of query", () => {
    const uncached = indexOf(products, { cachedAnswers: 0 });
    for (const q of ["headphones", "hedphones", "bamboo cutting", "northwind kettle", "GEN-0000042", "zzzz nothing"]) {
      for (const sort of ["relevance", "name"] as const) {
        const cached = search.search(q, { minPrice: 1000 }, sort, true);
        const fresh = uncached.search(q, { minPrice: 1000 }, sort, true);
        expect({ q, sort, total: cached.total, facets: cached.facets, ids: cached.ids }).toEqual({ q, sort, total: fresh.total, facets: fresh.facets, ids: fresh.ids.slice(0, CACHED_IDS) });
      }
    }
  });
});

describe("the answer cache follows every change", () => {
  const list = products.slice(0, 2_000).map((p) => ({ ...p }));
  const search = indexOf(list);
  const inStockHeadphones = () => search.search("headphones", { inStock: true }, "relevance", false);

  it("keeps an answer while nothing changes, also when a product is put again as it is", () => {
    const answer = inStockHeadphones();
    search.put({ ...list.find((p) => p.id === answer.ids[0]) } as SearchableProduct);
    expect(inStockHeadphones()).toBe(answer);
  });

  it("sees a change of stock, a new name and an archived product at the next query", () => {
    const before = inStockHeadphones();
    const soldOut = list.find((p) => p.id === before.ids[0]) as SearchableProduct;
    search.put({ ...soldOut, stock: 0 });
    expect(inStockHeadphones().total).toBe(before.total - 1);
    expect(inStockHeadphones().ids).not.toContain(soldOut.id);

    const renamed = list.find((p) => p.id === before.ids[1]) as SearchableProduct;
    expect(search.search("zanzibar", {}, "relevance", false).total).toBe(0);
    search.put({ ...renamed, name: "Zanzibar Headphones" });
    expect(search.search("zanzibar", {}, "relevance", false).ids).toEqual([renamed.id]);

    search.put({ ...renamed, name: "Zanzibar Headphones", archived: true });
    expect(search.search("zanzibar", {}, "relevance", false).total).toBe(0);
    expect(inStockHeadphones().ids).not.toContain(renamed.id);
  });

  it("recounts the facets of the whole catalog after a change", () => {
    const before = search.facetsOfAll({}).categories.find((c) => c.name === "books")?.count ?? 0;
    const book = list.find((p) => p.category === "books") as SearchableProduct;
    search.remove(book.id);
    expect(search.facetsOfAll({}).categories.find((c) => c.name === "books")?.count).toBe(before - 1);
  });
});
