/**
 * A `products.get` that read the product before an update and answers after
 * the update's cache clean must not leave its old answer in the cache: the
 * next read shows the update at once, not after the cache's 60 s TTL.
 */
import type { ServiceBroker } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";
import { productBody, startCatalog } from "./catalog-platform";

interface Product {
  id: string;
  name: string;
  price: number;
}
type Reader = { listedProduct(id: string): Promise<Product> };

let platform: LocalPlatform;
let broker: ServiceBroker;

beforeAll(async () => {
  platform = await startCatalog();
  broker = platform.broker;
});
afterAll(() => platform?.stop());

/** Makes the next read of the store hold its (already read) document until `release` is called. */
function holdNextRead() {
  const products = broker.getLocalService("products") as unknown as Reader;
  const read = products.listedProduct;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let readDone = false;
  products.listedProduct = async function (this: Reader, id: string) {
    products.listedProduct = read;
    const doc = await read.call(this, id);
    readDone = true;
    await released;
    return doc;
  };
  return { release, hasRead: () => readDone };
}

describe("products' cache and a read racing an update", () => {
  it("does not store an answer read before an update whose cache clean came first", async () => {
    const created = await broker.call<Product, Record<string, unknown>>("products.create", productBody({ price: 1000 }));

    const held = holdNextRead();
    const slowRead = broker.call<Product, { id: string }>("products.get", { id: created.id });
    await waitUntil(held.hasRead, { description: "the slow read has read the old product", timeoutMs: 2000, intervalMs: 5 });

    await broker.call("products.update", { id: created.id, price: 2000 });
    held.release();
    await expect(slowRead).resolves.toMatchObject({ price: 1000 });

    await expect(broker.call("products.get", { id: created.id })).resolves.toMatchObject({ price: 2000 });
  });

  it("still caches an answer no clean overtook", async () => {
    const created = await broker.call<Product, Record<string, unknown>>("products.create", productBody({ price: 1500 }));
    const first = await broker.call<Product, { id: string }>("products.get", { id: created.id });
    expect(first.price).toBe(1500);
    const calls = jest.spyOn(broker.getLocalService("products") as unknown as Reader, "listedProduct");
    try {
      await broker.call("products.get", { id: created.id });
      expect(calls).not.toHaveBeenCalled();
    } finally {
      calls.mockRestore();
    }
  });
});
