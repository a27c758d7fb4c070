/**
 * products.reserve / commit / release / sweepReservations on a local broker
 * (NeDB in memory): what the checkout saga relies on.
 */
import type { ServiceBroker } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import { ReservationBook, type Reservation } from "../../services/products/reservations";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { productBody, startCatalog } from "./catalog-platform";

interface Product {
  id: string;
  sku: string;
  stock: number;
  reserved: number;
}

let platform: LocalPlatform;
let broker: ServiceBroker;
let orderSeq = 0;

const nextOrderId = () => `order-${++orderSeq}`;
const createProduct = (stock: number) => broker.call<Product, Record<string, unknown>>("products.create", productBody({ stock }));
/** stock and reserved as stored: the public answers do not show reserved. */
async function levels(id: string): Promise<{ stock: number; reserved: number }> {
  const svc = broker.getLocalService("products") as unknown as { adapter: DbAdapter };
  const doc = await svc.adapter.findOne({ _id: id });
  return { stock: doc?.stock, reserved: doc?.reserved };
}
const reserve = (orderId: string, items: { productId: string; quantity: number }[]) =>
  broker.call<Reservation, unknown>("products.reserve", { orderId, items });
const commit = (orderId: string) => broker.call<Reservation, unknown>("products.commit", { orderId });
const release = (orderId: string) => broker.call<Reservation, unknown>("products.release", { orderId });

beforeAll(async () => {
  platform = await startCatalog();
  broker = platform.broker;
});

afterAll(async () => {
  await platform?.stop();
});

describe("reserve", () => {
  it("moves the units from stock to reserved and answers the reservation", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    const reservation = await reserve(orderId, [{ productId: product.id, quantity: 3 }]);
    expect(reservation).toMatchObject({ id: orderId, orderId, status: "reserved", items: [{ productId: product.id, quantity: 3 }] });
    expect(Date.parse(reservation.expiresAt)).toBeGreaterThan(Date.now() + 60_000);
    expect(await levels(product.id)).toEqual({ stock: 7, reserved: 3 });
  });

  it("takes two lines of one product as one", async () => {
    const product = await createProduct(5);
    const reservation = await reserve(nextOrderId(), [
      { productId: product.id, quantity: 2 },
      { productId: product.id, quantity: 3 },
    ]);
    expect(reservation.items).toEqual([{ productId: product.id, quantity: 5 }]);
    expect(await levels(product.id)).toEqual({ stock: 0, reserved: 5 });
  });

  it("is all or nothing: a line short of stock puts the earlier lines back and names the product", async () => {
    const plenty = await createProduct(10);
    const scarce = await createProduct(1);
    const orderId = nextOrderId();
    const attempt = reserve(orderId, [
      { productId: plenty.id, quantity: 4 },
      { productId: scarce.id, quantity: 2 },
    ]);
    await expect(attempt).rejects.toMatchObject({
      code: 409,
      type: "OUT_OF_STOCK",
      data: { productId: scarce.id, sku: scarce.sku, requested: 2, available: 1 },
    });
    expect(await levels(plenty.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await levels(scarce.id)).toEqual({ stock: 1, reserved: 0 });
    // No trace of the failed attempt: a retry after a restock succeeds.
    await expect(release(orderId)).rejects.toMatchObject({ code: 404 });
    await broker.call("products.adjustStock", { id: scarce.id, delta: 5 });
    await expect(reserve(orderId, [{ productId: scarce.id, quantity: 2 }])).resolves.toMatchObject({ status: "reserved" });
  });

  it("does not sell archived products and is 404 for unknown ones", async () => {
    const product = await createProduct(10);
    await broker.call("products.remove", { id: product.id });
    await expect(reserve(nextOrderId(), [{ productId: product.id, quantity: 1 }])).rejects.toMatchObject({
      type: "OUT_OF_STOCK",
      data: { productId: product.id, available: 0 },
    });
    await expect(reserve(nextOrderId(), [{ productId: "no-such-product", quantity: 1 }])).rejects.toMatchObject({ code: 404 });
  });

  it("is idempotent per order: a second call answers the first reservation and takes nothing more", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    const first = await reserve(orderId, [{ productId: product.id, quantity: 2 }]);
    const again = await reserve(orderId, [{ productId: product.id, quantity: 2 }]);
    expect(again).toEqual(first);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => reserve(orderId, [{ productId: product.id, quantity: 2 }])));
    for (const answer of concurrent) expect(answer).toEqual(first);
    expect(await levels(product.id)).toEqual({ stock: 8, reserved: 2 });
  });

  it("takes concurrent first calls of one order only once", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    const answers = await Promise.all(Array.from({ length: 10 }, () => reserve(orderId, [{ productId: product.id, quantity: 3 }])));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set(["reserved"]));
    expect(await levels(product.id)).toEqual({ stock: 7, reserved: 3 });
  });

  it("never oversells: 200 concurrent reservations of 1 unit on a stock of 50 give exactly 50", async () => {
    const product = await createProduct(50);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => reserve(nextOrderId(), [{ productId: product.id, quantity: 1 }])),
    );
    const succeeded = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(succeeded).toHaveLength(50);
    expect(new Set(refused.map((r) => (r.reason as { type: string }).type))).toEqual(new Set(["OUT_OF_STOCK"]));
    expect(await levels(product.id)).toEqual({ stock: 0, reserved: 50 });
  });

  it.each([
    ["an empty order", { orderId: "o-x", items: [] }, "items"],
    ["a zero quantity", { orderId: "o-x", items: [{ productId: "p", quantity: 0 }] }, "items[0].quantity"],
    ["a fractional quantity", { orderId: "o-x", items: [{ productId: "p", quantity: 1.5 }] }, "items[0].quantity"],
    ["an orderId that is an operator", { orderId: "$where", items: [{ productId: "p", quantity: 1 }] }, "orderId"],
    ["a productId that is an object", { orderId: "o-x", items: [{ productId: { $ne: null }, quantity: 1 }] }, "items[0].productId"],
  ])("refuses %s as a validation error naming the field", async (_what, params, field) => {
    await expect(broker.call("products.reserve", params)).rejects.toMatchObject({
      code: 422,
      data: expect.arrayContaining([expect.objectContaining({ field })]),
    });
  });
});

describe("commit and release", () => {
  it("commit sells the reserved units; a second commit and a later release change nothing", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    await reserve(orderId, [{ productId: product.id, quantity: 4 }]);
    const committed = await commit(orderId);
    expect(committed).toMatchObject({ orderId, status: "committed" });
    expect(await levels(product.id)).toEqual({ stock: 6, reserved: 0 });

    expect(await commit(orderId)).toEqual(committed);
    expect(await release(orderId)).toEqual(committed);
    expect(await levels(product.id)).toEqual({ stock: 6, reserved: 0 });
  });

  it("release gives the units back; a second release changes nothing and a commit is refused", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    await reserve(orderId, [{ productId: product.id, quantity: 4 }]);
    const released = await release(orderId);
    expect(released).toMatchObject({ orderId, status: "released" });
    expect(await levels(product.id)).toEqual({ stock: 10, reserved: 0 });

    expect(await release(orderId)).toEqual(released);
    await expect(commit(orderId)).rejects.toMatchObject({ code: 409, type: "RESERVATION_RELEASED" });
    expect(await levels(product.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it("concurrent releases and commits of one order move the stock once", async () => {
    const product = await createProduct(10);
    const released = nextOrderId();
    const committed = nextOrderId();
    await reserve(released, [{ productId: product.id, quantity: 2 }]);
    await reserve(committed, [{ productId: product.id, quantity: 3 }]);
    await Promise.all(Array.from({ length: 5 }, () => release(released)));
    await Promise.all(Array.from({ length: 5 }, () => commit(committed)));
    expect(await levels(product.id)).toEqual({ stock: 7, reserved: 0 });
  });

  it("is 404 for an order that never reserved", async () => {
    await expect(commit("order-unknown")).rejects.toMatchObject({ code: 404 });
    await expect(release("order-unknown")).rejects.toMatchObject({ code: 404 });
  });
});

describe("the sweeper", () => {
  let shortLived: LocalPlatform;

  beforeAll(async () => {
    shortLived = await startCatalog({ settings: { reservationTtlMs: 1 } });
  });

  afterAll(async () => {
    await shortLived?.stop();
  });

  it("releases an expired reservation once while another node sweeps at the same time", async () => {
    const call = shortLived.broker.call.bind(shortLived.broker);
    const product = await call<Product, Record<string, unknown>>("products.create", productBody({ stock: 10 }));
    await call("products.reserve", { orderId: "order-expiring", items: [{ productId: product.id, quantity: 4 }] });
    await new Promise((resolve) => setTimeout(resolve, 10));

    // A second book on the same collections is what a second node is: nothing shared but the data.
    const svc = shortLived.broker.getLocalService("products") as unknown as {
      reservationStore: DbAdapter;
      stockLedger(): ConstructorParameters<typeof ReservationBook>[0]["ledger"];
      adapter: DbAdapter;
    };
    const otherNode = new ReservationBook({ store: svc.reservationStore, ledger: svc.stockLedger(), ttlMs: 1 });
    const [here, there] = await Promise.all([
      call<{ released: number }>("products.sweepReservations"),
      otherNode.sweep(),
    ]);
    expect(here.released + there).toBe(1);

    const doc = await svc.adapter.findOne({ _id: product.id });
    expect({ stock: doc?.stock, reserved: doc?.reserved }).toEqual({ stock: 10, reserved: 0 });
    await expect(call("products.commit", { orderId: "order-expiring" })).rejects.toMatchObject({ type: "RESERVATION_RELEASED" });
    expect(await call<{ released: number }>("products.sweepReservations")).toEqual({ released: 0 });
  });
});
