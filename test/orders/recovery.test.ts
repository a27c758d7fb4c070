/**
 * A checkout whose saga stops between two steps (as when its node dies:
 * fault injection halts it right after the named step, lease held), then the
 * recovery sweep (orders.recover), with the real services on one broker.
 * Whatever the step, the order ends paid or failed with stock and payment
 * consistent, and the Idempotency-Key answers accordingly. The same with
 * real processes killed mid-checkout: crash.cluster.test.ts.
 */
import type { Service } from "moleculer";
import { SagaHalted } from "../../services/orders/checkout/checkout-saga";
import type { SagaStep } from "../../services/orders/order-model";
import { steppedClock, type SteppedClock } from "../support/stepped-clock";
import { waitUntil } from "../support/wait-until";
import { checkoutBody, newKey, ordersService, startOrdersPlatform, type OrdersPlatform, type PublicOrder, type Shopper } from "./orders-platform";

/** Longer than any stall of a loaded machine: it runs out only when the test moves the clock past it. */
const LEASE_MS = 60_000;

let shop: OrdersPlatform;
let orders: Service<{ faultCrashAfterStep?: string }>;
let clock: SteppedClock;

beforeAll(async () => {
  clock = steppedClock();
  shop = await startOrdersPlatform({
    orders: ordersService({ staleAfterMs: LEASE_MS }, {
      crash(step: SagaStep) {
        throw new SagaHalted(step);
      },
    }),
  });
  orders = shop.broker.getLocalService("orders") as unknown as Service<{ faultCrashAfterStep?: string }>;
});

afterEach(() => {
  orders.settings.faultCrashAfterStep = undefined;
});

afterAll(async () => {
  await shop?.stop();
  clock?.restore();
});

/** A shopper whose checkout halted right after `step`: the order is left with its saga's lease held. */
async function halted(step: SagaStep) {
  const shopper = await shop.shopper();
  const product = await shop.createProduct({ stock: 10 });
  await shop.addToCart(shopper, product.id, 2);
  const key = newKey();
  orders.settings.faultCrashAfterStep = step;
  const res = await shop.checkout(shopper, checkoutBody(), key);
  orders.settings.faultCrashAfterStep = undefined;
  expect(res.status).toBe(500);
  const list = await shop.http.get<{ rows: PublicOrder[] }>("/orders", { token: shopper.token });
  const [order] = list.body.rows;
  // Halted after `paid` it is paid already; before, the saga left it pending.
  expect(order.status).toBe(step === "paid" ? "paid" : "pending");
  return { shopper, product, key, order };
}

const recover = () => shop.broker.call<{ recovered: number }>("orders.recover");
const getOrder = async (shopper: Shopper, id: string) => (await shop.http.get<PublicOrder>(`/orders/${id}`, { token: shopper.token })).body;
const leaseRunsOut = () => clock.advance(LEASE_MS + 1);

describe("recovery of a checkout that stopped", () => {
  it("leaves a live saga alone: nothing is taken over before its lease runs out", async () => {
    const { shopper, order } = await halted("reserved");
    expect(await recover()).toEqual({ recovered: 0 });
    expect((await getOrder(shopper, order.id)).status).toBe("pending");
  });

  it.each<[SagaStep]>([["created"], ["reserved"]])(
    "after %s: rolls it back (stock released, nothing charged), the order failed, the cart kept",
    async (step) => {
      const { shopper, product, order, key } = await halted(step);
      leaseRunsOut();
      expect((await recover()).recovered).toBeGreaterThanOrEqual(1);

      const failed = await getOrder(shopper, order.id);
      expect(failed).toMatchObject({ status: "failed", failureReason: expect.stringContaining("interrupted") });
      expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
      const statuses = (await shop.transactions(order.id)).map((tx) => tx.status);
      expect(statuses).toEqual([]);
      expect(await shop.cartLines(shopper)).toEqual([{ productId: product.id, quantity: 2 }]);

      // Interrupted is transient: the same key runs the checkout again, as a new order.
      const retried = await shop.checkout(shopper, checkoutBody(), key);
      expect(retried.status).toBe(201);
      expect(retried.body.id).not.toBe(order.id);
      expect(await shop.levels(product.id)).toEqual({ stock: 8, reserved: 0 });
    },
  );

  it.each<[SagaStep]>([["captured"], ["committed"], ["paid"]])("after %s: drives it forward to paid (stock committed, cart emptied, order.paid sent)", async (step) => {
    const { shopper, product, order, key } = await halted(step);
    leaseRunsOut();
    await recover();

    const paid = await getOrder(shopper, order.id);
    expect(paid).toMatchObject({ status: "paid", payment: { status: "captured" } });
    expect(await shop.levels(product.id)).toEqual({ stock: 8, reserved: 0 });
    expect((await shop.transactions(order.id)).map((tx) => tx.status)).toEqual(["captured"]);
    expect(await shop.cartLines(shopper)).toEqual([]);
    await waitUntil(() => shop.events.some((e) => e.event === "order.paid" && e.payload.orderId === order.id), { description: "order.paid", timeoutMs: 2000 });

    // The key now answers the paid order.
    const replay = await shop.checkout(shopper, checkoutBody(), key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(order.id);
  });

  it("is driven by a replay of the key, without waiting for the sweeper", async () => {
    const { shopper, order, key } = await halted("reserved");
    leaseRunsOut();
    // The replay finds the stopped saga's lease run out, rolls it back and runs the checkout again.
    const replay = await shop.checkout(shopper, checkoutBody(), key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).not.toBe(order.id);
    expect((await getOrder(shopper, order.id)).status).toBe("failed");
  });

  it("cancels a pending order once its stopped saga's lease runs out", async () => {
    const { shopper, product, order } = await halted("reserved");
    leaseRunsOut();
    const res = await shop.http.post<PublicOrder>(`/orders/${order.id}/cancel`, undefined, { token: shopper.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", payment: { status: "pending" } });
    expect(await shop.transactions(order.id)).toEqual([]);
    expect(res.body.history.map((h) => h.status)).toEqual(["pending", "cancelled"]);
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
  });
});
