/**
 * payments.charge on a local broker: an authorization and its capture in one
 * processor call and one operation record (automatic capture), with the
 * same card checks, declines and idempotency as payments.authorize; undone
 * by a refund; its key can be closed like an authorization's.
 */
import type { ServiceBroker } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import type { SimulatedGateway } from "../../services/payments/simulated-gateway";
import { waitUntil } from "../support/wait-until";
import { authorizeParams, card, fieldsOf, FlakyGateway, operationsOf, refusal, startPayments, TEST_CARDS, unique, type SeenEvent, type Transaction } from "./payments-platform";

let platform: LocalPlatform;
let broker: ServiceBroker;
let gateway: SimulatedGateway;
let seen: SeenEvent[];

const RETRIES = 2;
const charge = (params: Record<string, unknown>) => broker.call<Transaction, Record<string, unknown>>("payments.charge", params);
const listByOrder = (orderId: unknown) => broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId: String(orderId) });
const closeCharge = (idempotencyKey: unknown) =>
  broker.call<{ state: string }, Record<string, unknown>>("payments.closeAuthorization", { idempotencyKey, operation: "charge" });
const eventsOf = (orderId: unknown) => seen.filter((s) => s.payload.orderId === orderId);

beforeAll(async () => {
  // A little processor latency, so that concurrent calls really overlap.
  ({ platform, broker, gateway, seen } = await startPayments({ settings: { gatewayLatencyMs: 15, gatewayRetries: RETRIES } }));
});

afterAll(async () => {
  await platform?.stop();
});

describe("an approved card", () => {
  it("is charged in one processor call: a captured transaction of the whole amount, one operation record, payment.captured", async () => {
    const params = authorizeParams({ amount: 4999 });
    const before = { ...gateway.calls };
    const tx = await charge(params);
    expect(tx).toMatchObject({
      orderId: params.orderId,
      amount: 4999,
      status: "captured",
      captured: 4999,
      refunded: 0,
      refundable: 4999,
      brand: "visa",
      last4: "4242",
      gatewayRef: expect.stringMatching(/^sim_charge_/),
      history: [{ status: "captured", amount: 4999, at: expect.any(String) }],
    });
    expect(gateway.calls.charge - before.charge).toBe(1);
    expect([gateway.calls.authorize - before.authorize, gateway.calls.capture - before.capture]).toEqual([0, 0]);
    expect(await operationsOf(broker, params.idempotencyKey)).toEqual([expect.objectContaining({ kind: "charge", state: "succeeded", transactionId: tx.id })]);
    await waitUntil(() => eventsOf(params.orderId).some((s) => s.event === "payment.captured"), { description: "payment.captured", timeoutMs: 2000, intervalMs: 5 });
    expect(eventsOf(params.orderId).find((s) => s.event === "payment.captured")?.payload).toMatchObject({ transactionId: tx.id, operation: "charge", captured: 4999 });
  });

  it("is given back by a refund (a charge has no authorization to void)", async () => {
    const tx = await charge(authorizeParams({ amount: 1500 }));
    expect(await refusal(broker.call("payments.void", { transactionId: tx.id, idempotencyKey: unique("void") }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
    const refunded = await broker.call<Transaction, Record<string, unknown>>("payments.refund", { transactionId: tx.id, idempotencyKey: unique("refund") });
    expect(refunded).toMatchObject({ status: "refunded", captured: 1500, refunded: 1500, refundable: 0 });
  });
});

describe("declines and card checks, as for an authorization", () => {
  it("a declined card is a 402 and the decline is stored; nothing is captured", async () => {
    const params = authorizeParams({ card: card(TEST_CARDS.declined) });
    expect(await refusal(charge(params))).toMatchObject({ code: 402, type: "PAYMENT_DECLINED", data: { reason: "card_declined" } });
    const [tx] = await listByOrder(params.orderId);
    expect(tx).toMatchObject({ status: "declined", captured: 0, gatewayRef: null });
  });

  it("a bad card number is a 422 naming card.number, before the processor", async () => {
    const calls = gateway.calls.charge;
    const err = await refusal(charge(authorizeParams({ card: card("4242424242424241") })));
    expect(err.code).toBe(422);
    expect(fieldsOf(err)).toEqual(["card.number"]);
    expect(gateway.calls.charge).toBe(calls);
  });
});

describe("idempotency keys", () => {
  it("10 identical calls at once make one transaction and one charge, and all get it", async () => {
    const params = authorizeParams();
    const calls = gateway.calls.charge;
    const results = await Promise.all(Array.from({ length: 10 }, () => charge(params)));
    expect(new Set(results.map((tx) => tx.id)).size).toBe(1);
    expect(results.every((tx) => tx.status === "captured")).toBe(true);
    expect(await listByOrder(params.orderId)).toHaveLength(1);
    expect(gateway.calls.charge - calls).toBe(1);
  });

  it("a key used for a charge is not an authorization's, and the other way round (409)", async () => {
    const params = authorizeParams();
    await charge(params);
    expect(await refusal(broker.call("payments.authorize", params))).toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("a processor down is a 503 stored as failed; the same key later charges that same transaction", async () => {
    const flaky = await startPayments({ gateway: new FlakyGateway({ charge: RETRIES + 2 }), settings: { gatewayRetries: RETRIES } });
    try {
      const params = authorizeParams();
      const call = () => flaky.broker.call<Transaction, Record<string, unknown>>("payments.charge", params);
      expect((await refusal(call())).code).toBe(503);
      const tx = await call();
      expect(tx).toMatchObject({ status: "captured", captured: params.amount });
      expect(tx.history.map((h) => h.status)).toEqual(["failed", "captured"]);
      const all = await flaky.broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId: params.orderId });
      expect(all.map((t) => t.id)).toEqual([tx.id]);
    } finally {
      await flaky.platform.stop();
    }
  });
});

describe("after the operation's record is pruned (its retention is over)", () => {
  it("the same call is answered from its transaction: no second charge, no second transaction", async () => {
    const params = authorizeParams();
    const first = await charge(params);
    const payments = broker.getLocalService("payments") as unknown as { operations: { prune(before: number): Promise<number> } };
    expect(await payments.operations.prune(Date.now() + 1000)).toBeGreaterThanOrEqual(1);
    expect(await operationsOf(broker, params.idempotencyKey)).toEqual([]);

    const calls = gateway.calls.charge;
    expect(await charge(params)).toEqual(first);
    expect(gateway.calls.charge).toBe(calls);
    expect(await listByOrder(params.orderId)).toHaveLength(1);
  });
});

describe("closing the key of a charge that never arrived", () => {
  it("answers closed; the charge arriving later is a 409 OPERATION_CLOSED that calls no processor", async () => {
    const params = authorizeParams();
    expect(await closeCharge(params.idempotencyKey)).toEqual({ state: "closed" });
    const calls = gateway.calls.charge;
    expect(await refusal(charge(params))).toMatchObject({ code: 409, type: "OPERATION_CLOSED" });
    expect(gateway.calls.charge).toBe(calls);
    expect(await listByOrder(params.orderId)).toEqual([]);
  });

  it("answers done once it ran", async () => {
    const params = authorizeParams();
    await charge(params);
    expect(await closeCharge(params.idempotencyKey)).toEqual({ state: "done" });
  });
});
