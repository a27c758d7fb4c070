/**
 * products.restock: a paid order is cancelled, so the units its committed
 * reservation sold go back into stock, exactly once however often (and
 * however concurrently) it is called.
 */
import type { Context, ServiceBroker } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import type { Reservation } from "../../services/products/reservations";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { productBody, startCatalog } from "./catalog-platform";

let platform: LocalPlatform;
let broker: ServiceBroker;
let orderSeq = 0;

const nextOrderId = () => `restock-order-${++orderSeq}`;
const createProduct = (stock: number) => broker.call<{ id: string }, Record<string, unknown>>("products.create", productBody({ stock }));
async function levels(id: string): Promise<{ stock: number; reserved: number }> {
  const svc = broker.getLocalService("products") as unknown as { adapter: DbAdapter };
  const doc = await svc.adapter.findOne({ _id: id });
  return { stock: doc?.stock, reserved: doc?.reserved };
}
const call = (action: string, orderId: string, extra: Record<string, unknown> = {}) => broker.call<Reservation, unknown>(`products.${action}`, { orderId, ...extra });

/** An order whose 3 units of a product (stock 10) were reserved and committed: stock 7. */
async function sold(): Promise<{ orderId: string; productId: string }> {
  const product = await createProduct(10);
  const orderId = nextOrderId();
  await call("reserve", orderId, { items: [{ productId: product.id, quantity: 3 }] });
  await call("commit", orderId);
  return { orderId, productId: product.id };
}

beforeAll(async () => {
  platform = await startCatalog();
  broker = platform.broker;
});

afterAll(async () => {
  await platform?.stop();
});

describe("restock", () => {
  it("puts a committed reservation's units back into stock and marks it restocked", async () => {
    const { orderId, productId } = await sold();
    expect(await levels(productId)).toEqual({ stock: 7, reserved: 0 });
    const reservation = await call("restock", orderId);
    expect(reservation).toMatchObject({ orderId, status: "restocked" });
    expect(await levels(productId)).toEqual({ stock: 10, reserved: 0 });
  });

  it("moves stock once: again, or ten at once, changes nothing more", async () => {
    const { orderId, productId } = await sold();
    await call("restock", orderId);
    await call("restock", orderId);
    expect(await levels(productId)).toEqual({ stock: 10, reserved: 0 });

    const other = await sold();
    const answers = await Promise.all(Array.from({ length: 10 }, () => call("restock", other.orderId)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set(["restocked"]));
    expect(await levels(other.productId)).toEqual({ stock: 10, reserved: 0 });
  });

  it("announces the stock change", async () => {
    const { orderId, productId } = await sold();
    const announced = new Promise<Record<string, unknown>>((resolve) => {
      broker.createService({
        name: `restock-listener-${orderId}`,
        events: {
          "product.changed"(ctx: Context<Record<string, unknown>>) {
            if (ctx.params.id === productId && ctx.params.change === "stock") resolve(ctx.params);
          },
        },
      });
    });
    await broker.waitForServices([`restock-listener-${orderId}`]);
    await call("restock", orderId);
    expect(await announced).toMatchObject({ id: productId, change: "stock", stock: 10 });
  });

  it("leaves commit and release with nothing to do afterwards", async () => {
    const { orderId, productId } = await sold();
    await call("restock", orderId);
    await expect(call("commit", orderId)).resolves.toMatchObject({ status: "restocked" });
    await expect(call("release", orderId)).resolves.toMatchObject({ status: "restocked" });
    expect(await levels(productId)).toEqual({ stock: 10, reserved: 0 });
  });

  it("answers a released reservation as it is: its units are already back", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    await call("reserve", orderId, { items: [{ productId: product.id, quantity: 2 }] });
    await call("release", orderId);
    await expect(call("restock", orderId)).resolves.toMatchObject({ status: "released" });
    expect(await levels(product.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it("refuses an open reservation with 409 (release it instead), and is 404 for an unknown order", async () => {
    const product = await createProduct(10);
    const orderId = nextOrderId();
    await call("reserve", orderId, { items: [{ productId: product.id, quantity: 2 }] });
    await expect(call("restock", orderId)).rejects.toMatchObject({ code: 409, type: "RESERVATION_NOT_COMMITTED", data: { orderId, status: "reserved" } });
    expect(await levels(product.id)).toEqual({ stock: 8, reserved: 2 });
    await expect(call("restock", "no-such-order")).rejects.toMatchObject({ code: 404 });
  });

  it("restocks an archived product too: a cancelled sale comes back to where it was taken from", async () => {
    const { orderId, productId } = await sold();
    await broker.call("products.remove", { id: productId });
    await call("restock", orderId);
    expect(await levels(productId)).toEqual({ stock: 10, reserved: 0 });
  });
});
