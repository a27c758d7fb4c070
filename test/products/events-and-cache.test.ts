/**
 * What products tells the rest of the cluster (product.changed, the durable
 * stock.low, cache cleaning) and how its cached reads follow every change.
 */
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import type { EventEnvelope } from "../../platform/events/types";
import type { LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";
import { productBody, startCatalog } from "./catalog-platform";

interface Product {
  id: string;
  sku: string;
  name: string;
  price: number;
  stock: number;
}
interface Seen {
  event: string;
  payload: Record<string, unknown>;
  /** A durable event's id. */
  id?: string;
}

const seen: Seen[] = [];
const Listener: ServiceSchema = {
  name: "listener",
  // stock.low is durable (through products' outbox), as webhooks and any other consumer get it.
  mixins: [ChannelsMixin({ "stock.low": (event: EventEnvelope<Record<string, unknown>>) => void seen.push({ event: event.event, payload: event.payload, id: event.id }) })],
  events: {
    "product.changed"(ctx: Context<Record<string, unknown>>) {
      seen.push({ event: String(ctx.eventName), payload: ctx.params });
    },
    "cache.clean-stock.**"(ctx: Context<Record<string, unknown>>) {
      seen.push({ event: String(ctx.eventName), payload: {} });
    },
    "cache.clean.**"(ctx: Context<Record<string, unknown>>) {
      seen.push({ event: String(ctx.eventName), payload: {} });
    },
  },
};

const THRESHOLD = 5;
let platform: LocalPlatform;
let broker: ServiceBroker;

const create = (overrides: Record<string, unknown> = {}) => broker.call<Product, Record<string, unknown>>("products.create", productBody(overrides));
const eventsFor = (id: string, event: string) => seen.filter((s) => s.event === event && s.payload.id === id).map((s) => s.payload);
async function expectEvent(id: string, event: string, payload: Record<string, unknown>) {
  await waitUntil(() => eventsFor(id, event).some((p) => Object.entries(payload).every(([k, v]) => JSON.stringify(p[k]) === JSON.stringify(v))), {
    description: `${event} ${JSON.stringify(payload)} for ${id} (seen: ${JSON.stringify(eventsFor(id, event))})`,
    timeoutMs: 2000,
    intervalMs: 5,
  });
}

beforeAll(async () => {
  platform = await startCatalog({ settings: { lowStockThreshold: THRESHOLD }, extra: [Listener] });
  broker = platform.broker;
});

afterAll(async () => {
  await platform?.stop();
});

describe("product.changed", () => {
  it("is emitted with the id, the sku and what changed on create, update, archive and stock changes", async () => {
    const product = await create({ stock: 20 });
    await expectEvent(product.id, "product.changed", { sku: product.sku, change: "created" });

    await broker.call("products.update", { id: product.id, price: 2500, name: "Renamed" });
    await expectEvent(product.id, "product.changed", { change: "updated", fields: ["price", "name"] });

    await broker.call("products.adjustStock", { id: product.id, delta: 5 });
    await expectEvent(product.id, "product.changed", { change: "stock", stock: 25 });

    await broker.call("products.reserve", { orderId: "order-events-1", items: [{ productId: product.id, quantity: 3 }] });
    await expectEvent(product.id, "product.changed", { change: "stock", stock: 22 });

    await broker.call("products.remove", { id: product.id });
    await expectEvent(product.id, "product.changed", { change: "archived" });
  });
});

describe("stock.low", () => {
  const products = () => platform.broker.getLocalService("products") as unknown as { adapter: DbAdapter; outboxAdapter: DbAdapter };
  /** What products wrote to its outbox for the product: every stock.low there ever was of it, in the order of the product's writes. */
  async function written(id: string): Promise<{ id: string; stock: number; status: string }[]> {
    const docs = await products().outboxAdapter.find({ query: { event: "stock.low" } });
    const marks = ((await products().adapter.findOne({ _id: id })) as { outboxEvents?: string[] }).outboxEvents ?? [];
    return docs
      .map((doc) => doc as { _id: string; payload: { id: string; stock: number }; status: string })
      .filter((doc) => doc.payload?.id === id)
      .map((doc) => ({ id: String(doc._id), stock: doc.payload.stock, status: doc.status }))
      .sort((a, b) => marks.indexOf(a.id) - marks.indexOf(b.id));
  }
  async function expectDelivered(id: string, count: number) {
    await waitUntil(async () => eventsFor(id, "stock.low").length >= count && (await written(id)).every((entry) => entry.status === "sent"), {
      description: () => `${count} stock.low for ${id} (seen: ${JSON.stringify(eventsFor(id, "stock.low"))})`,
      timeoutMs: 5000,
      intervalMs: 5,
    });
  }

  it("is written once per crossing, in the same write as the stock change, and delivered once", async () => {
    const product = await create({ stock: 10 });
    await broker.call("products.reserve", { orderId: "order-low-1", items: [{ productId: product.id, quantity: 5 }] }); // 5: the threshold itself
    await broker.call("products.reserve", { orderId: "order-low-2", items: [{ productId: product.id, quantity: 1 }] }); // 4: below
    await broker.call("products.reserve", { orderId: "order-low-3", items: [{ productId: product.id, quantity: 1 }] }); // 3: low already
    await broker.call("products.adjustStock", { id: product.id, delta: 10 }); // 13
    await broker.call("products.adjustStock", { id: product.id, delta: -9 }); // 4: below again

    const entries = await written(product.id);
    expect(entries.map((e) => e.stock)).toEqual([4, 4]);
    // The product carries the ids of the events written with its changes (platform/events/outbox.ts).
    const stored = (await products().adapter.findOne({ _id: product.id })) as { outboxEvents?: string[] };
    expect([...(stored.outboxEvents ?? [])].sort()).toEqual(entries.map((e) => e.id).sort());
    await expectDelivered(product.id, 2);
    expect(seen.filter((s) => s.event === "stock.low" && s.payload.id === product.id).map((s) => s.id).sort()).toEqual(entries.map((e) => e.id).sort());
    expect(eventsFor(product.id, "stock.low")).toEqual([
      { id: product.id, sku: product.sku, stock: 4, threshold: THRESHOLD },
      { id: product.id, sku: product.sku, stock: 4, threshold: THRESHOLD },
    ]);
  });

  it("is written once when many reservations take a product below the threshold at once", async () => {
    const product = await create({ stock: 12 });
    const takes = Array.from({ length: 12 }, (_, i) => broker.call("products.reserve", { orderId: `order-rush-${product.id}-${i}`, items: [{ productId: product.id, quantity: 1 }] }));
    await Promise.all(takes);
    await expect(broker.call("products.get", { id: product.id })).resolves.toMatchObject({ stock: 0 });
    expect((await written(product.id)).map((e) => e.stock)).toEqual([THRESHOLD - 1]);
    await expectDelivered(product.id, 1);
    expect(eventsFor(product.id, "stock.low")).toHaveLength(1);
  });

  it("is written by an admin's count and write-off too, never by a change that stays above or was low already", async () => {
    const product = await create({ stock: 30 });
    await broker.call("products.adjustStock", { id: product.id, set: 2 });
    await broker.call("products.adjustStock", { id: product.id, set: 1 });
    await broker.call("products.adjustStock", { id: product.id, delta: 20 }); // 21
    await broker.call("products.adjustStock", { id: product.id, delta: -15 }); // 6: still at or above
    await broker.call("products.adjustStock", { id: product.id, delta: -6 }); // 0
    expect((await written(product.id)).map((e) => e.stock)).toEqual([2, 0]);
    await expectDelivered(product.id, 2);
    expect(eventsFor(product.id, "stock.low").map((p) => p.stock)).toEqual([2, 0]);
  });
});

describe("the catalog cache", () => {
  function countReads(target: LocalPlatform) {
    const svc = target.broker.getLocalService("products") as unknown as { adapter: DbAdapter };
    return jest.spyOn(svc.adapter, "findOne");
  }

  it("answers a repeated get from the cache, and the change after an update", async () => {
    const product = await create({ price: 1000 });
    const reads = countReads(platform);
    try {
      await broker.call("products.get", { id: product.id });
      await broker.call("products.get", { id: product.id });
      expect(reads).toHaveBeenCalledTimes(1);

      await broker.call("products.update", { id: product.id, price: 1500 });
      await expect(broker.call("products.get", { id: product.id })).resolves.toMatchObject({ price: 1500 });
    } finally {
      reads.mockRestore();
    }
  });

  it("lets list and categories see stock and catalog changes at once", async () => {
    const product = await create({ category: "cache-check", stock: 2 });
    const inStock = () => broker.call<{ total: number }, Record<string, unknown>>("products.list", { category: "cache-check", inStock: true });
    expect((await inStock()).total).toBe(1);
    await broker.call("products.reserve", { orderId: "order-cache-1", items: [{ productId: product.id, quantity: 2 }] });
    expect((await inStock()).total).toBe(0);
    await broker.call("products.release", { orderId: "order-cache-1" });
    expect((await inStock()).total).toBe(1);

    const categories = () => broker.call<{ name: string; count: number }[]>("products.categories");
    expect(await categories()).toContainEqual({ name: "cache-check", count: 1 });
    await create({ category: "cache-check" });
    expect(await categories()).toContainEqual({ name: "cache-check", count: 2 });
  });

  // Every node's products service cleans its own cache on this broadcast from another node
  // (mixins/db.mixin.ts); that a second node then reads the change is mongo-cluster.test.ts's.
  // A reservation's stock change cleans by key (cache.clean-stock.products: only the answers showing those products).
  it("broadcasts a cache clean, for the other nodes' caches, on every kind of write", async () => {
    const product = await create({ stock: 10 });
    await expectEvent(product.id, "product.changed", { change: "created" });
    const writes: [string, () => Promise<unknown>, Record<string, unknown>][] = [
      ["update", () => broker.call("products.update", { id: product.id, price: 1234 }), { change: "updated" }],
      ["adjustStock", () => broker.call("products.adjustStock", { id: product.id, delta: 2 }), { change: "stock", stock: 12 }],
      ["reserve", () => broker.call("products.reserve", { orderId: "order-clean-1", items: [{ productId: product.id, quantity: 3 }] }), { change: "stock", stock: 9 }],
      ["release", () => broker.call("products.release", { orderId: "order-clean-1" }), { change: "stock", stock: 12 }],
      ["remove", () => broker.call("products.remove", { id: product.id }), { change: "archived" }],
    ];
    const cleans = () => seen.filter((s) => s.event === "cache.clean.products" || s.event === "cache.clean-stock.products").length;
    const announcements = () => eventsFor(product.id, "product.changed");
    const uncleaned: string[] = [];
    for (const [name, write, announced] of writes) {
      const before = { cleans: cleans(), announcements: announcements().length };
      await write();
      // The write broadcasts its cleaning before it announces the change: once the announcement is here, so is the cleaning.
      await waitUntil(() => announcements().length > before.announcements, { description: `product.changed after ${name}`, timeoutMs: 2000, intervalMs: 5 });
      expect(announcements()[before.announcements]).toMatchObject(announced);
      if (cleans() === before.cleans) uncleaned.push(name);
    }
    expect(uncleaned).toEqual([]);
  });

  it("is switched off by the catalogCache setting", async () => {
    const uncached = await startCatalog({ settings: { catalogCache: false } });
    try {
      const product = await uncached.broker.call<Product, Record<string, unknown>>("products.create", productBody());
      const reads = countReads(uncached);
      await uncached.broker.call("products.get", { id: product.id });
      await uncached.broker.call("products.get", { id: product.id });
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      await uncached.stop();
    }
  });
});
