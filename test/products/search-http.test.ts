/**
 * GET /api/products?q=...: ranked, typo tolerant, filtered, faceted, and kept
 * current by the product events (docs/api.md, "Catalog and inventory").
 */
import { api, type ApiClient } from "../support/http";
import type { LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";
import { ADMIN_TOKEN, productBody, startCatalog } from "./catalog-platform";
import { SEARCH_MIX } from "../../bench/lib/search-queries";

interface Product {
  id: string;
  sku: string;
  name: string;
  price: number;
  stock: number;
}
interface Facets {
  categories: { name: string; count: number }[];
  priceBands: { min: number; max: number | null; count: number }[];
}
interface Page {
  rows: Product[];
  total: number;
  page: number;
  pageSize: number;
  facets?: Facets;
}

const admin = { token: ADMIN_TOKEN };
let platform: LocalPlatform;
let client: ApiClient;

async function create(overrides: Record<string, unknown>): Promise<Product> {
  const res = await client.post<Product>("/api/products", productBody(overrides), admin);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body;
}
const search = async (query: string) => (await client.get<Page>(`/api/products?${query}`)).body;
const skus = (page: Page) => page.rows.map((p) => p.sku);

beforeAll(async () => {
  platform = await startCatalog({ gateway: true });
  client = api(platform.baseUrl);
  await create({ sku: "SR-NAME", name: "Zephyr Gizmotron", description: "A small thing.", category: "search-tests", price: 900 });
  await create({ sku: "SR-DESC", name: "Plain Box", description: "Holds one zephyr gizmotron safely.", category: "search-tests", price: 3000 });
  await create({ sku: "SR-OTHER", name: "Quasar Lantern", description: "Bright.", category: "search-lights", price: 26000, stock: 0 });
});

afterAll(async () => {
  await platform?.stop();
});

describe("ranked search", () => {
  it("ranks a name match above a description match by default", async () => {
    const page = await search("q=gizmotron");
    expect(skus(page)).toEqual(["SR-NAME", "SR-DESC"]);
    expect(page.total).toBe(2);
  });

  it("forgives one typo in a word of five letters or more, and finds words that are not side by side", async () => {
    expect(skus(await search("q=gizmotrom"))).toEqual(["SR-NAME", "SR-DESC"]);
    expect(skus(await search("q=gizmotron%20zephyr"))).toEqual(["SR-NAME", "SR-DESC"]);
  });

  it("finds a prefix and a sku", async () => {
    expect(skus(await search("q=quasa"))).toEqual(["SR-OTHER"]);
    expect(skus(await search("q=sr-other"))).toEqual(["SR-OTHER"]);
  });

  it("still sorts by a field when asked, and filters as without q", async () => {
    expect(skus(await search("q=gizmotron&sort=-price"))).toEqual(["SR-DESC", "SR-NAME"]);
    expect(skus(await search("q=gizmotron&maxPrice=1000"))).toEqual(["SR-NAME"]);
    expect((await search("q=quasar&inStock=true")).total).toBe(0);
  });

  it("answers facets for the query when asked: per category, and per price band", async () => {
    const page = await search("q=gizmotron%20quasar&facets=true&category=search-tests");
    expect(skus(page).sort()).toEqual(["SR-DESC", "SR-NAME"]);
    // The category facet ignores the category filter: it shows what another choice would give.
    expect(page.facets?.categories).toEqual([
      { name: "search-tests", count: 2 },
      { name: "search-lights", count: 1 },
    ]);
    const bands = Object.fromEntries((page.facets?.priceBands ?? []).map((band) => [band.min, band.count]));
    expect(bands).toMatchObject({ 0: 1, 1000: 0, 2500: 1, 25000: 0 });
    expect((await search("q=gizmotron")).facets).toBeUndefined();
  });

  it("follows a renamed product and forgets an archived one", async () => {
    const product = await create({ sku: "SR-RENAME", name: "Obsidian Teapot", category: "search-tests" });
    await waitUntil(async () => skus(await search("q=obsidian")).includes("SR-RENAME"), { description: "the new product in the index", timeoutMs: 10_000 });
    expect((await client.patch(`/api/products/${product.id}`, { name: "Basalt Teapot" }, admin)).status).toBe(200);
    await waitUntil(async () => skus(await search("q=basalt")).includes("SR-RENAME"), { description: "the new name in the index", timeoutMs: 10_000 });
    expect(skus(await search("q=obsidian"))).toEqual([]);
    expect((await client.delete(`/api/products/${product.id}`, undefined, admin)).status).toBe(200);
    await waitUntil(async () => (await search("q=basalt")).total === 0, { description: "the archived product out of the index", timeoutMs: 10_000 });
  });

  it("shows a new stock on the next search page once the index has heard of it, though the page was read before", async () => {
    const product = await create({ sku: "SR-STOCK", name: "Vermilion Kite", category: "search-tests", stock: 7 });
    const stockShown = async () => (await search("q=vermilion")).rows.find((row) => row.sku === "SR-STOCK")?.stock;
    await waitUntil(async () => (await stockShown()) === 7, { description: "the new product in the index", timeoutMs: 10_000 });
    expect((await client.post(`/api/products/${product.id}/stock`, { delta: 5, reason: "search test" }, admin)).status).toBe(200);
    await waitUntil(async () => (await stockShown()) === 12, { description: "the new stock on the search page", timeoutMs: 10_000 });
  });

  it("answers 200 with matches to every query of the bench mix", async () => {
    for (const query of SEARCH_MIX) {
      const res = await client.get<Page>(`/api/products?q=${encodeURIComponent(query)}`);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
    }
  });

  it("rejects an unknown sort naming the field", async () => {
    const res = await client.get<{ data: { field: string }[] }>("/api/products?q=lamp&sort=best");
    expect(res.status).toBe(422);
    expect(res.body.data.map((d) => d.field)).toEqual(["sort"]);
  });
});
