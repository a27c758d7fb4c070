/**
 * A search answered while the index has not yet taken in a write (the
 * product is still being read after its `product.changed`) is cached by the
 * node's cacher after the write's own cache clean: the index's update cleans
 * the cached lists again, so the next search sees the product.
 */
import type { Service } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import type { SearchSync } from "../../services/products/search-sync";
import { productBody, startCatalog } from "./catalog-platform";

interface Page {
  rows: { sku: string }[];
  total: number;
}

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startCatalog({ settings: { catalogCache: true, searchCatchUpDelayMs: 0 } });
});

afterAll(async () => {
  await platform?.stop();
});

it("does not keep serving a search answered before the index took in a new product", async () => {
  const { broker } = platform;
  const sync = (broker.getLocalService("products") as Service & { searchSync: SearchSync }).searchSync;
  const heard: string[] = [];
  const takeIn = sync.changed.bind(sync);
  // The event is held back: the index has not read the new product yet.
  sync.changed = (id: string) => {
    heard.push(id);
    return Promise.resolve();
  };
  const search = () => broker.call<Page, { q: string }>("products.list", { q: "quokka" });
  try {
    await broker.call("products.create", productBody({ sku: "SCACHE-1", name: "Quokka Plush" }));
    expect((await search()).total).toBe(0);
    expect(heard).toHaveLength(1);
  } finally {
    sync.changed = takeIn;
  }
  await Promise.all(heard.map((id) => takeIn(id)));
  expect((await search()).rows.map((row) => row.sku)).toEqual(["SCACHE-1"]);
});
