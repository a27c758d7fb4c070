/**
 * The shipping service on a local broker: quotes from the products' weights,
 * one shipment per order and its life cycle, cancelling, the simulated
 * carrier, and a shipment.updated event for every change.
 */
import type { ServiceBroker } from "moleculer";
import { waitUntil } from "../support/wait-until";
import { ADDRESS, orderId, refusal, startShipping, type ShippingPlatform } from "./shipping-platform";

interface Shipment {
  id: string;
  orderId: string;
  userId: string;
  method: string;
  carrier: string;
  trackingNumber: string;
  status: string;
  weightGrams: number | null;
  estimatedDays: number;
  history: { status: string; at: string }[];
}

let platform: ShippingPlatform;
let broker: ServiceBroker;

const quote = (params: Record<string, unknown>) => broker.call<Record<string, unknown>, Record<string, unknown>>("shipping.quote", params);
const create = (params: Record<string, unknown>) => broker.call<Shipment, Record<string, unknown>>("shipping.create", { userId: "user-1", address: ADDRESS, method: "standard", ...params });
const advance = (id: string) => broker.call<Shipment, { orderId: string }>("shipping.advance", { orderId: id });
const cancel = (id: string) => broker.call<Shipment, { orderId: string }>("shipping.cancel", { orderId: id });
const updatesOf = (id: string) => platform.updates.filter((u) => u.orderId === id);

beforeAll(async () => {
  platform = await startShipping();
  broker = platform.broker;
});

afterAll(async () => {
  await platform?.stop();
});

describe("quote", () => {
  const items = [
    { productId: "p-book", quantity: 2 },
    { productId: "p-light", quantity: 1 },
    { productId: "p-book", quantity: 1 },
  ];

  it("prices both methods from the total weight, with one products.getMany call", async () => {
    const calls = platform.getManyCalls.length;
    // 3 books and a light thing: 1550 g, three steps past the first 500 g.
    expect(await quote({ items, address: { country: "US" }, method: "standard" })).toEqual({
      method: "standard",
      amount: 499 + 3 * 100,
      currency: "USD",
      carrier: "ShopPost",
      estimatedDays: 5,
      zone: "domestic",
      weightGrams: 1550,
      free: false,
    });
    expect(platform.getManyCalls.length - calls).toBe(1);
    expect(platform.getManyCalls.at(-1)).toEqual(["p-book", "p-light"]);
    expect(await quote({ items, address: { country: "US" }, method: "express" })).toMatchObject({ amount: 1299 + 3 * 200, carrier: "SwiftExpress", estimatedDays: 2 });
  });

  it("weighs lines that carry their weight per unit (the checkout's) without reading the catalog", async () => {
    const calls = platform.getManyCalls.length;
    const weighed = [
      { productId: "p-book", quantity: 3, weightGrams: 500 },
      { productId: "p-light", quantity: 1, weightGrams: 50 },
    ];
    expect(await quote({ items: weighed, address: { country: "US" }, method: "standard" })).toMatchObject({ weightGrams: 1550, amount: 499 + 3 * 100 });
    expect(platform.getManyCalls.length).toBe(calls);
    // One line without its weight: the catalog weighs them all.
    const mixed = [weighed[0], { productId: "p-light", quantity: 1 }];
    expect(await quote({ items: mixed, address: { country: "US" }, method: "standard" })).toMatchObject({ weightGrams: 1550 });
    expect(platform.getManyCalls.length - calls).toBe(1);
    const refused = await refusal(quote({ items: [{ productId: "p-book", quantity: 1, weightGrams: -1 }], address: { country: "US" }, method: "standard" }));
    expect(refused.data.map((d: { field: string }) => d.field)).toEqual(["items[0].weightGrams"]);
  });

  it("prices by the destination's zone", async () => {
    const one = [{ productId: "p-light", quantity: 1 }];
    expect(await quote({ items: one, address: { country: "mx" }, method: "standard" })).toMatchObject({ zone: "regional", amount: 999 });
    expect(await quote({ items: one, address: { country: "DE", city: "Berlin" }, method: "express" })).toMatchObject({ zone: "international", amount: 3999 });
  });

  it("makes standard shipping free from the configured subtotal", async () => {
    const one = [{ productId: "p-kettle", quantity: 1 }];
    expect(await quote({ items: one, address: { country: "US" }, method: "standard", subtotal: 4999, currency: "USD" })).toMatchObject({ amount: 499 + 2 * 100, free: false });
    expect(await quote({ items: one, address: { country: "US" }, method: "standard", subtotal: 5000, currency: "USD" })).toMatchObject({ amount: 0, free: true });
    expect(await quote({ items: one, address: { country: "US" }, method: "express", subtotal: 5000 })).toMatchObject({ amount: 1299 + 2 * 200, free: false });
  });

  it("answers 404 for an unknown product and 422 for bad input, naming the field", async () => {
    expect(await refusal(quote({ items: [{ productId: "p-ghost", quantity: 1 }], address: { country: "US" } }))).toMatchObject({
      code: 404,
      data: { productId: "p-ghost" },
    });
    const field = async (params: Record<string, unknown>) => (await refusal(quote({ items, address: { country: "US" }, ...params }))).data.map((d: { field: string }) => d.field);
    expect(await field({ items: [] })).toContain("items");
    expect(await field({ items: [{ productId: "p-book", quantity: 0 }] })).toContain("items[0].quantity");
    expect(await field({ address: { country: "XX" } })).toContain("address.country");
    expect(await field({ method: "overnight" })).toContain("method");
    expect(await field({ subtotal: 10.5 })).toContain("subtotal");
    expect(await field({ currency: "EUR" })).toEqual(["currency"]);
  });
});

describe("a shipment's life", () => {
  it("starts with a label, a carrier and a tracking number, then moves to delivered with a timestamp per step", async () => {
    const id = orderId();
    const created = await create({ orderId: id, method: "express", items: [{ productId: "p-kettle", quantity: 2 }] });
    expect(created).toMatchObject({ orderId: id, userId: "user-1", method: "express", carrier: "SwiftExpress", status: "label_created", weightGrams: 2600, estimatedDays: 2 });
    expect(created.trackingNumber).toMatch(/^SX\d{12}$/);

    expect((await advance(id)).status).toBe("in_transit");
    expect((await advance(id)).status).toBe("out_for_delivery");
    const delivered = await advance(id);
    expect(delivered.history.map((h) => h.status)).toEqual(["label_created", "in_transit", "out_for_delivery", "delivered"]);
    expect(delivered.history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);
    expect(await broker.call("shipping.get", { orderId: id })).toEqual(delivered);
    expect(await refusal(advance(id))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
  });

  it("is told in shipment.updated at every change", async () => {
    const id = orderId();
    const created = await create({ orderId: id });
    await advance(id);
    await waitUntil(() => updatesOf(id).length === 2, { description: "two shipment.updated", timeoutMs: 2000, intervalMs: 5 });
    expect(updatesOf(id)).toEqual([
      { orderId: id, userId: "user-1", status: "label_created", trackingNumber: created.trackingNumber, carrier: "ShopPost", at: expect.any(String) },
      { orderId: id, userId: "user-1", status: "in_transit", trackingNumber: created.trackingNumber, carrier: "ShopPost", at: expect.any(String) },
    ]);
  });

  it("is one per order: creating again, also at once, answers the same shipment", async () => {
    const id = orderId();
    const results = await Promise.all(Array.from({ length: 5 }, () => create({ orderId: id })));
    expect(new Set(results.map((s) => s.trackingNumber)).size).toBe(1);
    expect(await create({ orderId: id })).toEqual(results[0]);
    expect(await refusal(create({ orderId: id, method: "express" }))).toMatchObject({ code: 409, type: "SHIPMENT_EXISTS" });
  });

  it("is a 404 for an order without one", async () => {
    expect(await refusal(broker.call("shipping.get", { orderId: orderId() }))).toMatchObject({ code: 404 });
    expect(await refusal(advance(orderId()))).toMatchObject({ code: 404 });
    expect(await refusal(cancel(orderId()))).toMatchObject({ code: 404 });
  });

  it("needs a full address to be created", async () => {
    const err = await refusal(create({ orderId: orderId(), address: { country: "US" } }));
    expect(err.code).toBe(422);
    expect(err.data.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(["address.line1", "address.city", "address.postalCode"]));
  });
});

describe("cancel", () => {
  it("works before the carrier has the parcel, and again changes nothing", async () => {
    const id = orderId();
    await create({ orderId: id });
    const cancelled = await cancel(id);
    expect(cancelled.status).toBe("cancelled");
    expect(await cancel(id)).toEqual(cancelled);
    expect(await refusal(advance(id))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
    await waitUntil(() => updatesOf(id).some((u) => u.status === "cancelled"), { description: "shipment.updated cancelled", timeoutMs: 2000, intervalMs: 5 });
  });

  it("is refused once shipped (409)", async () => {
    const id = orderId();
    await create({ orderId: id });
    await advance(id);
    expect(await refusal(cancel(id))).toMatchObject({ code: 409, type: "ALREADY_SHIPPED", data: { status: "in_transit" } });
    expect((await broker.call<Shipment, { orderId: string }>("shipping.get", { orderId: id })).status).toBe("in_transit");
  });
});

describe("the simulated carrier", () => {
  it("moves each shipment one step once it sat a full interval in its status", async () => {
    const timed = await startShipping({ settings: { carrierTimerMs: 60_000 } });
    try {
      const service = timed.broker.getLocalService("shipping") as unknown as { carrierTick(nowMs?: number): Promise<number> };
      const id = orderId();
      await timed.broker.call("shipping.create", { orderId: id, userId: "u", address: ADDRESS, method: "standard" });
      expect(await service.carrierTick(Date.now())).toBe(0);
      const later = Date.now() + 61_000;
      expect(await service.carrierTick(later)).toBe(1);
      expect(await timed.broker.call("shipping.get", { orderId: id })).toMatchObject({ status: "in_transit" });
      // Each step was just taken: the next one waits for its own interval.
      expect(await service.carrierTick(Date.now())).toBe(0);
    } finally {
      await timed.stop();
    }
  });
});
