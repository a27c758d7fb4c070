/**
 * The gateway's own cache of catalog reads (middlewares/caller-cache.middleware.ts):
 * a gateway node and a products node joined by Moleculer's in-process
 * transporter, both with the platform's broker options, driven over HTTP.
 * A read served from the gateway's memory must never outlive a change of
 * the product that products itself would not serve any more.
 */
import type { AddressInfo } from "node:net";
import { ServiceBroker, type BrokerOptions, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import ApiService from "../../services/api/api.service";
import { callerCacheStats, callKey } from "../../middlewares/caller-cache.middleware";
import { ADMIN_TOKEN, productBody, productsService } from "../products/catalog-platform";
import { fakeUsersService } from "../support/fake-users";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";

interface Product {
  id: string;
  name: string;
  price: number;
  stock: number;
}

const namespace = `caller-cache-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

function nodeOptions(services: string, env: Record<string, string> = {}): BrokerOptions {
  const cfg = loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: "0", SERVICES: services, ...env });
  return {
    ...brokerOptions({ ...cfg, transporter: undefined }),
    namespace,
    nodeID: `${services}-${Math.random().toString(36).slice(2, 8)}`,
    transporter: "Fake",
    logger: false,
  };
}

let gateway: ServiceBroker;
let catalog: ServiceBroker;
let http: ReturnType<typeof api>;

const product = (id: string) => http.get<Product>(`/products/${id}`);
const stats = () => callerCacheStats(gateway)!;

beforeAll(async () => {
  catalog = new ServiceBroker(nodeOptions("products,users"));
  catalog.createService(productsService());
  catalog.createService(fakeUsersService({ [ADMIN_TOKEN]: { id: "user-admin", email: "admin@shop.test", name: "Ada Admin", role: "admin" } }));
  gateway = new ServiceBroker(nodeOptions("api"));
  const web = gateway.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ip: "127.0.0.1", expectedServices: ["products", "users"] } } as ServiceSchema);
  await Promise.all([catalog.start(), gateway.start()]);
  await gateway.waitForServices(["products", "users"], 10_000);
  http = api(`http://127.0.0.1:${(web as unknown as { server: { address(): AddressInfo } }).server.address().port}/api`);
  await waitUntil(async () => (await http.get("/products?pageSize=1")).status === 200, { description: "the catalog route", timeoutMs: 10_000, intervalMs: 20 });
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  await catalog?.stop();
});

async function created(overrides: Record<string, unknown> = {}): Promise<Product> {
  const res = await http.post<Product>("/products", productBody(overrides), { token: ADMIN_TOKEN });
  expect(res.status).toBe(201);
  return res.body;
}

describe("the gateway's catalog cache", () => {
  it("answers a repeated read of a product from the gateway's memory", async () => {
    const { id } = await created();
    const before = stats().hits;
    const first = await product(id);
    // Not even products' own cache is asked.
    const asked = jest.spyOn(catalog.cacher!, "get");
    try {
      const second = await product(id);
      expect(second.body).toEqual(first.body);
      expect(asked).not.toHaveBeenCalled();
      expect(stats().hits - before).toBe(1);
    } finally {
      asked.mockRestore();
    }
  });

  it("serves the change after an update made through the same gateway", async () => {
    const { id } = await created({ price: 1000 });
    expect((await product(id)).body.price).toBe(1000);
    expect((await product(id)).body.price).toBe(1000);
    expect((await http.patch(`/products/${id}`, { price: 1500 }, { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await product(id)).body.price).toBe(1500);
  });

  it("serves the change after a write that did not pass the gateway (a checkout's reservation)", async () => {
    const { id } = await created({ stock: 10, category: "caller-cache" });
    const inStock = () => http.get<{ total: number }>("/products?category=caller-cache&inStock=true");
    expect((await product(id)).body.stock).toBe(10);
    expect((await inStock()).body.total).toBe(1);
    const categories = async () => (await http.get<{ name: string; count: number }[]>("/categories")).body;
    expect(await categories()).toContainEqual({ name: "caller-cache", count: 1 });

    await catalog.call("products.reserve", { orderId: "caller-cache-1", items: [{ productId: id, quantity: 10 }] });
    // The clean is a broadcast: the reservation's answer and it travel separately to the gateway.
    await waitUntil(async () => (await product(id)).body.stock === 0, { description: "the reserved stock at the gateway", timeoutMs: 2000, intervalMs: 5 });
    expect((await inStock()).body.total).toBe(0);

    await created({ category: "caller-cache" });
    expect(await categories()).toContainEqual({ name: "caller-cache", count: 2 });
  });

  it("cleans by key on a reservation: only the answers that show the product, and lists only when it went in or out of stock", async () => {
    const [sold, other] = [await created({ stock: 10, category: "by-key" }), await created({ stock: 5, category: "by-key-other" })];
    const list = () => http.get<{ rows: Product[] }>("/products?category=by-key");
    const otherList = () => http.get<{ total: number }>("/products?category=by-key-other&inStock=true");
    const categories = () => http.get("/categories");
    for (const read of [() => product(sold.id), () => product(other.id), list, otherList, categories]) await read();

    const cleans = stats().cleans;
    await catalog.call("products.reserve", { orderId: "by-key-1", items: [{ productId: sold.id, quantity: 2 }] });
    await waitUntil(() => stats().cleans > cleans, { description: "the clean to reach the gateway", timeoutMs: 2000, intervalMs: 5 });
    // What shows the product is read fresh.
    expect((await product(sold.id)).body.stock).toBe(8);
    expect((await list()).body.rows.map((row) => row.stock)).toEqual([8]);
    // The rest stays in the gateway's memory: another product, a list without it, the category counts.
    const hits = stats().hits;
    await product(other.id);
    await otherList();
    await categories();
    expect(stats().hits - hits).toBe(3);

    // Out of stock: every list may have lost it (inStock), so every list is read fresh.
    const before = stats().cleans;
    await catalog.call("products.reserve", { orderId: "by-key-2", items: [{ productId: sold.id, quantity: 8 }] });
    await waitUntil(() => stats().cleans > before, { description: "the clean to reach the gateway", timeoutMs: 2000, intervalMs: 5 });
    const misses = stats().misses;
    await otherList();
    expect(stats().misses - misses).toBe(1);
  });

  it("does not keep an answer that was under way when the product changed", async () => {
    const { id } = await created({ name: "Before" });
    // products.get is slowed down until the update has cleaned the caches.
    const products = catalog.getLocalService("products") as unknown as { adapter: { findOne: (q: unknown) => Promise<unknown> } };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = products.adapter.findOne.bind(products.adapter);
    const slow = jest.spyOn(products.adapter, "findOne").mockImplementationOnce(async (q: unknown) => {
      const doc = await original(q);
      await gate;
      return doc;
    });
    try {
      const stale = product(id);
      await waitUntil(() => slow.mock.calls.length > 0, { description: "the slow read to start", timeoutMs: 2000, intervalMs: 5 });
      const cleans = stats().cleans;
      await catalog.call("products.update", { id, name: "After" });
      await waitUntil(() => stats().cleans > cleans, { description: "the clean to reach the gateway", timeoutMs: 2000, intervalMs: 5 });
      release();
      expect((await stale).body.name).toBe("Before");
      // The gateway did not keep it: the next read asks products again.
      const misses = stats().misses;
      await product(id);
      expect(stats().misses).toBe(misses + 1);
    } finally {
      release();
    }
  });

  it("keeps no error answers", async () => {
    const before = stats().misses;
    expect((await product("000000000000000000000000")).status).toBe(404);
    expect((await product("000000000000000000000000")).status).toBe(404);
    expect(stats().misses - before).toBe(2);
  });

  it("leaves calls with $cache: false and calls to a chosen node to the callee", async () => {
    const { id } = await created();
    await gateway.call("products.get", { id });
    const before = stats().hits;
    await gateway.call("products.get", { id }, { meta: { $cache: false } });
    await gateway.call("products.get", { id }, { nodeID: catalog.nodeID });
    expect(stats().hits).toBe(before);
    await gateway.call("products.get", { id });
    expect(stats().hits).toBe(before + 1);
  });

  it("hands out frozen answers, so no caller can change what the next one gets", async () => {
    const { id } = await created();
    await gateway.call("products.get", { id });
    const cached = await gateway.call<Product, { id: string }>("products.get", { id });
    expect(Object.isFrozen(cached)).toBe(true);
  });
});

describe("callKey", () => {
  it("tells apart a missing parameter, null and the string 'null'", () => {
    const keys = ["a", "b"];
    const all = [{}, { a: null }, { a: "null" }, { a: 1 }, { a: "1" }, { a: [1, 2] }, { b: 1 }].map((p) => callKey("x.y", keys, p));
    expect(new Set(all).size).toBe(all.length);
  });

  it("ignores parameters outside the keys", () => {
    expect(callKey("x.y", ["a"], { a: 1, junk: 2 })).toBe(callKey("x.y", ["a"], { a: 1 }));
  });
});

describe("where it runs", () => {
  it("is on gateway nodes only, and off with CATALOG_CACHE=false", () => {
    const cacheOn = (env: Record<string, string>) => {
      const broker = new ServiceBroker({ ...nodeOptions(env.SERVICES ?? "", env), transporter: null });
      return callerCacheStats(broker) !== undefined;
    };
    expect(cacheOn({ SERVICES: "api" })).toBe(true);
    expect(cacheOn({ SERVICES: "" })).toBe(true);
    expect(cacheOn({ SERVICES: "products,cart" })).toBe(false);
    expect(cacheOn({ SERVICES: "api", CATALOG_CACHE: "false" })).toBe(false);
  });
});
