import { ServiceBroker } from "moleculer";
import ProductsService from "../../services/products/products.service";
import type { AdminProduct } from "../../services/products/product-model";
import { productBody } from "./catalog-platform";

describe("products.getMany, the batched lookup of cart, shipping and orders", () => {
  let broker: ServiceBroker;
  beforeAll(async () => {
    broker = new ServiceBroker({ logger: false, cacher: "Memory" });
    broker.createService({ ...ProductsService, settings: { ...ProductsService.settings, reservationSweepIntervalMs: 0 } });
    await broker.start();
  });
  afterAll(() => broker.stop());

  it("answers every known product in one call, archived ones flagged, unknown ones left out", async () => {
    const a = await broker.call<AdminProduct, object>("products.create", productBody({ stock: 3 }));
    const b = await broker.call<AdminProduct, object>("products.create", productBody({ stock: 0 }));
    await broker.call("products.remove", { id: b.id });
    const found = await broker.call<AdminProduct[], object>("products.getMany", { ids: [a.id, b.id, "0123456789abcdef01234567", a.id] });
    expect(found.map((p) => [p.id, p.archived, p.stock]).sort()).toEqual([[a.id, false, 3], [b.id, true, 0]].sort());
    expect(found[0]).toHaveProperty("weightGrams");
  });

  it("sees a change made after a cached answer", async () => {
    const a = await broker.call<AdminProduct, object>("products.create", productBody({ stock: 3 }));
    await broker.call("products.getMany", { ids: [a.id] });
    await broker.call("products.update", { id: a.id, price: 777 });
    const [fresh] = await broker.call<AdminProduct[], object>("products.getMany", { ids: [a.id] });
    expect(fresh.price).toBe(777);
  });

  it("refuses an empty or oversized list", async () => {
    await expect(broker.call("products.getMany", { ids: [] })).rejects.toMatchObject({ code: 422 });
    await expect(broker.call("products.getMany", { ids: Array.from({ length: 201 }, (_, i) => `id${i}`) })).rejects.toMatchObject({ code: 422 });
  });
});
