/**
 * The checkout saga (services/orders/checkout/checkout-saga.ts) step by step, over an orders
 * collection in memory and stand-in services that keep the truth a real
 * products and payments would (a reservation, a transaction) and fail where
 * a test says: the order of the steps, what each failure undoes, and how a
 * later run finishes what one left.
 */
import { Errors } from "moleculer";
import { createAdapter, newId, type DbAdapter } from "../../platform/db/db-adapter";
import { CheckoutSaga, LeftForRecovery, type PaymentFacts, type ReservationState, type SagaCalls } from "../../services/orders/checkout/checkout-saga";
import { checkoutFailure, compensationPlan, isDefinitive, outcomeOf } from "../../services/orders/checkout/checkout-failures";
import { newOrder } from "../../services/orders/checkout/checkout-prepare";
import { LeaseLost, OrderBook, ownerToken, type OrderStore } from "../../services/orders/order-book";
import type { OrderDoc, SagaStep } from "../../services/orders/order-model";
import type { CardInput } from "../../contracts/card";

const CARD: CardInput = { number: "4242424242424242", expMonth: 12, expYear: 2031, cvc: "123" };
const LEASE_MS = 60_000;

type CallName = keyof SagaCalls;

/** Products and payments as far as one order goes, with failures on demand. */
class StandIns implements SagaCalls {
  reservation: ReservationState = null;
  tx: PaymentFacts | null = null;
  readonly log: CallName[] = [];
  /** Thrown by the named call: `before` it acts (nothing happened) or `after` (it happened, the answer was lost). */
  private readonly faults = new Map<CallName, { err: unknown; when: "before" | "after"; times: number }>();
  /** Runs inside the named call, after it acted. */
  readonly during = new Map<CallName, () => Promise<void>>();

  fail(call: CallName, err: unknown, when: "before" | "after" = "before", times = Infinity) {
    this.faults.set(call, { err, when, times });
  }

  private async step<T>(call: CallName, act: () => T): Promise<T> {
    this.log.push(call);
    const fault = this.faults.get(call);
    const trip = () => {
      if (!fault || fault.times <= 0) return;
      fault.times--;
      throw fault.err;
    };
    if (fault?.when === "before") trip();
    const result = act();
    await this.during.get(call)?.();
    if (fault?.when === "after") trip();
    return result;
  }

  reserve = () => this.step("reserve", () => void (this.reservation = "reserved"));
  charge = () => this.step("charge", () => (this.tx = { transactionId: "tx-1", status: "captured", brand: "visa", last4: "4242" }));
  commit = () => this.step("commit", () => void (this.reservation = "committed"));
  clearCart = () => this.step("clearCart", () => undefined);
  release = () =>
    this.step("release", () => {
      if (this.reservation === "reserved" || this.reservation === "pending") this.reservation = "released";
      return this.reservation;
    });
  restock = () => this.step("restock", () => void (this.reservation = this.reservation === "committed" ? "restocked" : this.reservation));
  payment = () => this.step("payment", () => this.tx);
  voidPayment = () => this.step("voidPayment", () => (this.tx = { ...(this.tx as PaymentFacts), status: "voided" }));
  refund = () => this.step("refund", () => (this.tx = { ...(this.tx as PaymentFacts), status: "refunded" }));
  cancelShipment = () => this.step("cancelShipment", () => undefined);
}

const unavailable = (service: string) => new Errors.MoleculerRetryableError(`${service} is down`, 503, "SERVICE_UNAVAILABLE", { service });
const timeout = (action: string) => new Errors.RequestTimeoutError({ action, nodeID: "n1" });
const refused = (code: number, type: string, data?: unknown) => new Errors.MoleculerClientError("refused", code, type, data);

let adapter: DbAdapter;
let book: OrderBook;

beforeAll(async () => {
  adapter = createAdapter({ collection: "orders", database: "orders" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "." });
  adapter.init(null, {});
  await adapter.connect();
  const transform = (doc: Record<string, any> | null) => (doc ? adapter.afterRetrieveTransformID(doc, "id") : null);
  const store: OrderStore = {
    adapter,
    insertEntity: async (doc) => transform(await adapter.insert(doc)) as Record<string, any>,
    updateWhere: async (filter, update) => transform(await adapter.updateOneWhere(filter, update)),
    findEntityById: async (id) => transform(await adapter.findOne({ _id: id })),
  };
  book = new OrderBook(store, { leaseMs: LEASE_MS, announce: (_event, change) => change(newId()) });
});

afterAll(async () => {
  await adapter.disconnect();
});

interface Harness {
  saga: CheckoutSaga;
  shop: StandIns;
  steps: SagaStep[];
  events: string[];
  settled: OrderDoc[];
}

function harness(shop = new StandIns()): Harness {
  const steps: SagaStep[] = [];
  const events: string[] = [];
  const settled: OrderDoc[] = [];
  const saga = new CheckoutSaga({
    // Each status change and its event: what the outbox mixin's commitWithEvent does, recorded.
    book: book.announcingWith(async (event, change) => {
      const changed = await change(newId());
      if (changed) events.push(event);
      return changed;
    }),
    calls: shop,
    settleKey: async (order) => void settled.push(order),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    afterStep: (step) => steps.push(step),
  });
  return { saga, shop, steps, events, settled };
}

async function pendingOrder(): Promise<OrderDoc> {
  const prepared = {
    items: [{ productId: "p1", sku: "SKU-1", name: "Widget", unitPrice: 1000, quantity: 2, lineTotal: 2000 }],
    currency: "USD",
    totals: { subtotal: 2000, shippingCost: 500, total: 2500 },
    shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
    shippingMethod: "standard" as const,
  };
  const facts = { orderId: newId(), userId: "u1", idempotencyKey: "k1", owner: ownerToken(), leaseUntil: Date.now() + LEASE_MS, at: new Date().toISOString() };
  return book.insert(newOrder(prepared, facts));
}

/** Lets the lease of `order` run out, as a crashed owner's would. */
async function expireLease(order: OrderDoc): Promise<OrderDoc> {
  await adapter.updateOneWhere({ _id: order.id }, { $set: { "saga.leaseUntil": Date.now() - 1 } });
  return (await book.get(order.id)) as OrderDoc;
}

describe("a checkout that goes through", () => {
  it("reserves, charges, commits, marks paid, clears the cart and tells", async () => {
    const h = harness();
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(h.shop.log).toEqual(["reserve", "charge", "commit", "clearCart"]);
    expect(h.steps).toEqual(["reserved", "captured", "committed", "paid"]);
    expect(order).toMatchObject({
      status: "paid",
      payment: { status: "captured", transactionId: "tx-1", brand: "visa", last4: "4242" },
      saga: { step: "paid", reserved: true, authorized: true, captured: true, committed: true, cartCleared: true, cleanup: false },
    });
    expect(order.history.map((h) => h.status)).toEqual(["pending", "paid"]);
    expect(h.events).toEqual(["order.paid"]);
    expect(outcomeOf(h.settled[0])).toMatchObject({ outcome: { status: 201, body: { id: order.id, status: "paid" } }, retryable: false });
  });

  it("writes the order only where recovery needs it: paid, once (nothing between its creation and the charge, nothing after)", async () => {
    const h = harness();
    const created = await pendingOrder();
    const writes: string[] = [];
    const updateOneWhere = adapter.updateOneWhere.bind(adapter);
    adapter.updateOneWhere = async (filter, update) => {
      writes.push(String((update.$set as Record<string, unknown> | undefined)?.["saga.step"] ?? Object.keys(update.$set ?? {}).join(",")));
      return updateOneWhere(filter, update);
    };
    try {
      await h.saga.run(created, CARD);
    } finally {
      adapter.updateOneWhere = updateOneWhere;
    }
    expect(writes).toEqual(["paid"]);
  });

  it("stays paid when the cart cannot be cleared", async () => {
    const h = harness();
    h.shop.fail("clearCart", unavailable("cart"));
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(order).toMatchObject({ status: "paid", saga: { cartCleared: false } });
  });
});

describe("a checkout that fails", () => {
  it("declined: gives the stock back, touches no payment, fails with the 402", async () => {
    const h = harness();
    h.shop.fail("charge", refused(402, "PAYMENT_DECLINED", { reason: "card_declined" }));
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(h.shop.log).toEqual(["reserve", "charge", "release"]);
    expect(h.shop.reservation).toBe("released");
    expect(order).toMatchObject({ status: "failed", payment: { status: "declined" }, failure: { code: 402, type: "PAYMENT_DECLINED", data: { reason: "card_declined", orderId: order.id } }, saga: { cleanup: false } });
    expect(h.events).toEqual(["order.failed"]);
    expect(outcomeOf(order).retryable).toBe(false);
  });

  it("charge timed out after the processor charged: the charge is found and refunded, and checked again later", async () => {
    const h = harness();
    h.shop.fail("charge", timeout("payments.charge"), "after");
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(h.shop.log).toEqual(["reserve", "charge", "payment", "refund", "release"]);
    expect(h.shop.tx?.status).toBe("refunded");
    expect(order).toMatchObject({ status: "failed", failure: { code: 504 }, payment: { status: "refunded" }, saga: { cleanup: true } });
    expect(outcomeOf(order).retryable).toBe(true);

    const later = await h.saga.resume(await expireLease(order));
    expect(later).toMatchObject({ status: "failed", saga: { cleanup: false } });
  });

  it("reservation timed out and landed after its release: released again once the lease ran out", async () => {
    const h = harness();
    h.shop.fail("reserve", timeout("products.reserve"));
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(h.shop.log).toEqual(["reserve", "release"]);
    expect(order).toMatchObject({ status: "failed", failure: { code: 504 }, saga: { cleanup: true } });
    // The reserve call was still on its way: it reached products after the release had found nothing.
    h.shop.reservation = "reserved";

    const later = await h.saga.resume(await expireLease(order));
    expect(h.shop.reservation).toBe("released");
    expect(later).toMatchObject({ status: "failed", saga: { cleanup: false } });
  });

  it("charge refused by payments (processor down): nothing to undo but the stock; a 503 the client may retry", async () => {
    const h = harness();
    h.shop.fail("charge", unavailable("payments"));
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(h.shop.log).toEqual(["reserve", "charge", "release"]);
    expect(h.shop.reservation).toBe("released");
    expect(order).toMatchObject({ status: "failed", failure: { code: 503 }, saga: { cleanup: false } });
    expect(outcomeOf(order).retryable).toBe(true);
  });

  it("the reservation was released before the commit: refunds the capture, fails with the 409", async () => {
    const h = harness();
    h.shop.fail("commit", refused(409, "RESERVATION_RELEASED"));
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(h.shop.tx?.status).toBe("refunded");
    expect(order).toMatchObject({ status: "failed", failure: { code: 409, type: "RESERVATION_RELEASED" }, payment: { status: "refunded" } });
  });

  it("a compensation that cannot run now is owed, and paid by a later run", async () => {
    const h = harness();
    h.shop.fail("charge", refused(402, "PAYMENT_DECLINED", { reason: "card_declined" }));
    h.shop.fail("release", unavailable("products"), "before", 1);
    const order = await h.saga.run(await pendingOrder(), CARD);
    expect(order).toMatchObject({ status: "failed", saga: { cleanup: true } });
    expect(h.shop.reservation).toBe("reserved");
    expect(order.saga.leaseUntil).toBeGreaterThan(Date.now());

    const later = await h.saga.resume(await expireLease(order));
    expect(h.shop.reservation).toBe("released");
    expect(later).toMatchObject({ status: "failed", saga: { cleanup: false } });
  });
});

describe("after the payment is captured", () => {
  it("a commit that cannot run now leaves the order pending, lease released, for recovery to finish as paid", async () => {
    const h = harness();
    h.shop.fail("commit", unavailable("products"), "before", 1);
    const created = await pendingOrder();
    await expect(h.saga.run(created, CARD)).rejects.toBeInstanceOf(LeftForRecovery);
    const left = (await book.get(created.id)) as OrderDoc;
    expect(left).toMatchObject({ status: "pending", saga: { step: "captured", captured: true, leaseUntil: 0 } });

    const claimed = (await book.claim(left)) as OrderDoc;
    const paid = await h.saga.resume(claimed);
    expect(paid).toMatchObject({ status: "paid", saga: { committed: true } });
    expect(h.shop.reservation).toBe("committed");
  });
});

describe("a cancel during the checkout", () => {
  it("stops the saga before the charge: nothing is charged, the stock released", async () => {
    const h = harness();
    const created = await pendingOrder();
    h.shop.during.set("reserve", async () => {
      await adapter.updateOneWhere({ _id: created.id }, { $set: { "saga.cancelRequested": true } });
    });
    const order = await h.saga.run(created, CARD);
    expect(h.shop.log).toEqual(["reserve", "release"]);
    expect(h.shop.tx).toBeNull();
    expect(h.shop.reservation).toBe("released");
    expect(order).toMatchObject({ status: "cancelled", failure: { code: 409, type: "ORDER_CANCELLED" } });
    expect(h.events).toEqual(["order.cancelled"]);
  });
});

describe("cancelling a paid order", () => {
  it("asks shipping first: a parcel that has left (its shipment.updated lost) refuses the cancel, and nothing is refunded or restocked", async () => {
    const h = harness();
    const paid = await h.saga.run(await pendingOrder(), CARD);
    h.shop.fail("cancelShipment", refused(409, "ALREADY_SHIPPED", { status: "in_transit" }));
    h.shop.log.length = 0;

    await expect(h.saga.cancelPaid(paid, "cancelled by the customer")).rejects.toMatchObject({ code: 409, type: "ALREADY_SHIPPED" });
    expect(h.shop.log).toEqual(["cancelShipment"]);
    expect(h.shop.tx?.status).toBe("captured");
    expect(h.shop.reservation).toBe("committed");
    expect(await book.get(paid.id)).toMatchObject({ status: "paid" });
  });

  it("cancels the shipment, then refunds and restocks", async () => {
    const h = harness();
    const paid = await h.saga.run(await pendingOrder(), CARD);
    h.shop.log.length = 0;
    const cancelled = await h.saga.cancelPaid(paid, "cancelled by the customer");
    expect(cancelled).toMatchObject({ status: "cancelled" });
    expect(h.shop.log[0]).toBe("cancelShipment");
    expect(h.shop.tx?.status).toBe("refunded");
    expect(h.shop.reservation).toBe("restocked");
  });
});

describe("a saga that lost its lease", () => {
  it("stops without undoing anything: the new owner decides", async () => {
    const h = harness();
    const created = await pendingOrder();
    h.shop.during.set("reserve", async () => {
      await adapter.updateOneWhere({ _id: created.id }, { $set: { "saga.owner": "someone-else" } });
    });
    await expect(h.saga.run(created, CARD)).rejects.toBeInstanceOf(LeaseLost);
    expect(h.shop.log).toEqual(["reserve"]);
    expect(h.shop.reservation).toBe("reserved");
  });
});

describe("recovery of a stopped saga", () => {
  it("after an authorization (a saga from before the charge): rolls back, the answer a transient 503 CHECKOUT_INTERRUPTED", async () => {
    const h = harness();
    h.shop.reservation = "reserved";
    h.shop.tx = { transactionId: "tx-9", status: "authorized", brand: "visa", last4: "4242" };
    const created = await pendingOrder();
    const stopped = await book.record(created, "authorized", { "saga.reserved": true, "saga.authorized": true });
    const order = await h.saga.resume((await book.claim(await expireLease(stopped))) as OrderDoc);
    expect(order).toMatchObject({ status: "failed", failure: { code: 503, type: "CHECKOUT_INTERRUPTED" }, payment: { status: "voided" } });
    expect(h.shop.reservation).toBe("released");
    expect(outcomeOf(order).retryable).toBe(true);
  });

  it("after a charge that was never recorded: payments says captured, so it goes forward to paid", async () => {
    const h = harness();
    h.shop.reservation = "reserved";
    h.shop.tx = { transactionId: "tx-9", status: "captured", brand: "visa", last4: "4242" };
    const created = await pendingOrder();
    const order = await h.saga.resume((await book.claim(await expireLease(created))) as OrderDoc);
    expect(order).toMatchObject({ status: "paid", payment: { status: "captured", transactionId: "tx-9" } });
    expect(h.shop.reservation).toBe("committed");
  });
});

describe("failure classification", () => {
  it("treats refusals, undelivered calls and the callee's own 503 as certain; timeouts and lost nodes as not", () => {
    expect(isDefinitive(refused(402, "PAYMENT_DECLINED"))).toBe(true);
    expect(isDefinitive(new Errors.ServiceNotFoundError({ action: "payments.authorize" }))).toBe(true);
    expect(isDefinitive(unavailable("payments"))).toBe(true);
    expect(isDefinitive(timeout("payments.authorize"))).toBe(false);
    expect(isDefinitive(new Errors.RequestRejectedError({ action: "payments.authorize", nodeID: "n1" }))).toBe(false);
    expect(isDefinitive(new Error("boom"))).toBe(false);
  });

  it("undoes the payment once a charge may exist, and a timed-out step once more later", () => {
    expect(compensationPlan("reserve", false)).toEqual({ stock: true, payment: false, recheck: true });
    expect(compensationPlan("reserve", true)).toEqual({ stock: true, payment: false, recheck: false });
    expect(compensationPlan("charge", true)).toEqual({ stock: true, payment: false, recheck: false });
    expect(compensationPlan("charge", false)).toEqual({ stock: true, payment: true, recheck: true });
    expect(compensationPlan("commit", true)).toEqual({ stock: true, payment: true, recheck: false });
  });

  it("answers a client's error as it was, anything else as 503/504, with the order's id", () => {
    expect(checkoutFailure(refused(409, "OUT_OF_STOCK", { productId: "p1" }), "o1")).toMatchObject({ code: 409, type: "OUT_OF_STOCK", data: { productId: "p1", orderId: "o1" } });
    expect(checkoutFailure(new Errors.ServiceNotFoundError({ action: "payments.authorize" }), "o1")).toMatchObject({ code: 503, data: { service: "payments", orderId: "o1" } });
    expect(checkoutFailure(timeout("payments.capture"), "o1")).toMatchObject({ code: 504, type: "REQUEST_TIMEOUT" });
    expect(checkoutFailure(new Errors.RequestSkippedError({ action: "payments.capture", nodeID: "n1" }), "o1")).toMatchObject({ code: 504 });
    expect(checkoutFailure(new Error("boom"), "o1")).toMatchObject({ code: 503, type: "CHECKOUT_FAILED" });
    const cardError = new Errors.ValidationError("bad", "VALIDATION_ERROR", [{ field: "card.number", message: "The 'card.number' field is bad", type: "luhn" }]);
    expect(checkoutFailure(cardError, "o1").data).toEqual([expect.objectContaining({ field: "payment.cardNumber" })]);
  });
});
