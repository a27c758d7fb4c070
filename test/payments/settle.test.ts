/**
 * payments.capture, void and refund on a local broker: what each does, which
 * transitions are refused, refund limits, and idempotency keys under
 * concurrency (one processor call per key, never more money than captured).
 */
import type { ServiceBroker } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import type { SimulatedGateway } from "../../services/payments/simulated-gateway";
import { waitUntil } from "../support/wait-until";
import { authorizeParams, card, FlakyGateway, refusal, startPayments, TEST_CARDS, unique, type SeenEvent, type Transaction } from "./payments-platform";

let platform: LocalPlatform;
let broker: ServiceBroker;
let gateway: SimulatedGateway;
let seen: SeenEvent[];

type Ref = { transactionId?: string; orderId?: string; idempotencyKey?: string; amount?: number };
const call = (action: "capture" | "void" | "refund", ref: Ref) =>
  broker.call<Transaction, Ref>(`payments.${action}`, { idempotencyKey: unique(action), ...ref });
const authorized = (amount = 1000) => broker.call<Transaction, Record<string, unknown>>("payments.authorize", authorizeParams({ amount }));
async function captured(amount = 1000): Promise<Transaction> {
  const tx = await authorized(amount);
  return call("capture", { transactionId: tx.id });
}
const eventsOf = (transactionId: string, event: string) => seen.filter((s) => s.event === event && s.payload.transactionId === transactionId).map((s) => s.payload);

beforeAll(async () => {
  ({ platform, broker, gateway, seen } = await startPayments({ settings: { gatewayLatencyMs: 10 } }));
});

afterAll(async () => {
  await platform?.stop();
});

describe("capture", () => {
  it("takes the authorized amount, found by transaction id or by order", async () => {
    const tx = await authorized(1500);
    const done = await call("capture", { orderId: tx.orderId });
    expect(done).toMatchObject({ id: tx.id, status: "captured", captured: 1500, refunded: 0, refundable: 1500 });
    expect(done.history.map((h) => h.status)).toEqual(["authorized", "captured"]);
    expect(done.history[1]).toEqual({ status: "captured", at: expect.any(String), amount: 1500 });
    await waitUntil(() => eventsOf(tx.id, "payment.captured").length === 1, { description: "payment.captured", timeoutMs: 2000, intervalMs: 5 });
    expect(eventsOf(tx.id, "payment.captured")[0]).toMatchObject({ orderId: tx.orderId, captured: 1500, status: "captured" });
  });

  it("with the same key again answers the same, without calling the processor", async () => {
    const tx = await authorized();
    const idempotencyKey = unique("capture");
    const first = await call("capture", { transactionId: tx.id, idempotencyKey });
    const calls = gateway.calls.capture;
    expect(await call("capture", { transactionId: tx.id, idempotencyKey })).toEqual(first);
    expect(await call("capture", { orderId: tx.orderId, idempotencyKey })).toEqual(first);
    expect(gateway.calls.capture).toBe(calls);
  });

  it("10 identical captures at once call the processor once and all answer the capture", async () => {
    const tx = await authorized();
    const idempotencyKey = unique("capture");
    const calls = gateway.calls.capture;
    const results = await Promise.all(Array.from({ length: 10 }, () => call("capture", { transactionId: tx.id, idempotencyKey })));
    expect(results.every((r) => r.status === "captured" && r.captured === 1000)).toBe(true);
    expect(gateway.calls.capture - calls).toBe(1);
  });

  it("with different keys at once: one captures, the others are refused, one processor call", async () => {
    const tx = await authorized();
    const calls = gateway.calls.capture;
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => call("capture", { transactionId: tx.id })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
      expect(r.reason).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
    }
    expect(gateway.calls.capture - calls).toBe(1);
  });
});

describe("void", () => {
  it("releases an authorization; it can then be neither captured nor refunded", async () => {
    const tx = await authorized();
    const voided = await call("void", { transactionId: tx.id });
    expect(voided).toMatchObject({ status: "voided", captured: 0 });
    expect(await refusal(call("capture", { transactionId: tx.id }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION", data: { operation: "capture", status: "voided" } });
    expect(await refusal(call("refund", { transactionId: tx.id }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
    await waitUntil(() => eventsOf(tx.id, "payment.voided").length === 1, { description: "payment.voided", timeoutMs: 2000, intervalMs: 5 });
  });

  it("is refused once captured: that is a refund", async () => {
    const tx = await captured();
    expect(await refusal(call("void", { transactionId: tx.id }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION", data: { status: "captured" } });
  });

  it("with the same key at once voids once", async () => {
    const tx = await authorized();
    const idempotencyKey = unique("void");
    const calls = gateway.calls.void;
    const results = await Promise.all(Array.from({ length: 5 }, () => call("void", { transactionId: tx.id, idempotencyKey })));
    expect(results.every((r) => r.status === "voided")).toBe(true);
    expect(gateway.calls.void - calls).toBe(1);
  });
});

describe("refund", () => {
  it("is refused before the capture, and its key stays usable", async () => {
    const tx = await authorized();
    const idempotencyKey = unique("refund");
    const calls = gateway.calls.refund;
    expect(await refusal(call("refund", { transactionId: tx.id, idempotencyKey, amount: 100 }))).toMatchObject({
      code: 409,
      type: "INVALID_TRANSITION",
      data: { operation: "refund", status: "authorized" },
    });
    expect(gateway.calls.refund).toBe(calls);
    await call("capture", { transactionId: tx.id });
    expect(await call("refund", { transactionId: tx.id, idempotencyKey, amount: 100 })).toMatchObject({ status: "partially_refunded", refunded: 100 });
  });

  it("in parts: partially_refunded, then refunded once everything is back; never more than captured", async () => {
    const tx = await captured(1000);
    expect(await call("refund", { transactionId: tx.id, amount: 300 })).toMatchObject({ status: "partially_refunded", refunded: 300, refundable: 700 });
    expect(await call("refund", { transactionId: tx.id, amount: 200 })).toMatchObject({ status: "partially_refunded", refunded: 500, refundable: 500 });
    expect(await refusal(call("refund", { transactionId: tx.id, amount: 501 }))).toMatchObject({
      code: 409,
      type: "REFUND_EXCEEDS_CAPTURED",
      data: { field: "amount", refundable: 500 },
    });
    const done = await call("refund", { transactionId: tx.id, amount: 500 });
    expect(done).toMatchObject({ status: "refunded", refunded: 1000, refundable: 0 });
    expect(done.history.map((h) => [h.status, h.amount])).toEqual([
      ["authorized", undefined],
      ["captured", 1000],
      ["partially_refunded", 300],
      ["partially_refunded", 200],
      ["refunded", 500],
    ]);
    expect(await refusal(call("refund", { transactionId: tx.id, amount: 1 }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
    await waitUntil(() => eventsOf(tx.id, "payment.refunded").length === 3, { description: "three payment.refunded", timeoutMs: 2000, intervalMs: 5 });
    expect(eventsOf(tx.id, "payment.refunded").map((p) => [p.amount, p.refunded, p.status])).toEqual([
      [300, 300, "partially_refunded"],
      [200, 500, "partially_refunded"],
      [500, 1000, "refunded"],
    ]);
    // Durable (through the outbox) are the refunds alone; the authorization and the capture were signals.
    const outbox = (broker.getLocalService("payments") as unknown as { outboxAdapter: { find(q: object): Promise<{ event: string; payload: { transactionId: string } }[]> } }).outboxAdapter;
    const written = (await outbox.find({ query: {} })).filter((entry) => entry.payload.transactionId === tx.id).map((entry) => entry.event);
    expect(written).toEqual(["payment.refunded", "payment.refunded", "payment.refunded"]);
    expect(eventsOf(tx.id, "payment.captured")).toHaveLength(1);
  });

  it("without an amount gives back everything left", async () => {
    const tx = await captured(800);
    await call("refund", { transactionId: tx.id, amount: 100 });
    expect(await call("refund", { orderId: tx.orderId })).toMatchObject({ status: "refunded", refunded: 800 });
  });

  it("with the same key again refunds once; with another amount it is a 409", async () => {
    const tx = await captured(1000);
    const idempotencyKey = unique("refund");
    const results = await Promise.all(Array.from({ length: 5 }, () => call("refund", { transactionId: tx.id, idempotencyKey, amount: 250 })));
    expect(results.every((r) => r.refunded === 250)).toBe(true);
    expect(await call("refund", { transactionId: tx.id, idempotencyKey, amount: 250 })).toMatchObject({ refunded: 250 });
    expect(await refusal(call("refund", { transactionId: tx.id, idempotencyKey, amount: 300 }))).toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("by several callers at once never gives back more than was captured", async () => {
    const tx = await captured(1000);
    const calls = gateway.calls.refund;
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => call("refund", { transactionId: tx.id, amount: 400 })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused?.reason).toMatchObject({ code: 409, type: "REFUND_EXCEEDS_CAPTURED" });
    expect(await broker.call("payments.get", { id: tx.id })).toMatchObject({ status: "partially_refunded", refunded: 800 });
    expect(gateway.calls.refund - calls).toBe(2);
  });
});

describe("finding the transaction", () => {
  it("is a 404 for an unknown transaction or order, and a 422 when neither is named", async () => {
    expect(await refusal(call("capture", { transactionId: "000000000000000000000000" }))).toMatchObject({ code: 404, type: "NOT_FOUND" });
    expect(await refusal(call("capture", { orderId: unique("order") }))).toMatchObject({ code: 404 });
    expect(await refusal(call("capture", {}))).toMatchObject({ code: 422, data: [{ field: "transactionId" }] });
    expect(await refusal(broker.call("payments.get", { id: "nope" }))).toMatchObject({ code: 404 });
  });

  it("by order skips declined attempts; a declined transaction itself moves nowhere", async () => {
    const orderId = unique("order");
    await refusal(broker.call("payments.authorize", authorizeParams({ orderId, card: card(TEST_CARDS.declined) })));
    const [declined] = await broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId });
    expect(await refusal(call("capture", { orderId }))).toMatchObject({ code: 404 });
    expect(await refusal(call("capture", { transactionId: declined.id }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });

    const good = await broker.call<Transaction, Record<string, unknown>>("payments.authorize", authorizeParams({ orderId }));
    expect(await call("capture", { orderId })).toMatchObject({ id: good.id, status: "captured" });
    const all = await broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId });
    expect(all.map((t) => t.status)).toEqual(["captured", "declined"]);
  });

  it("a transaction id of another order is a 404", async () => {
    const tx = await authorized();
    expect(await refusal(call("capture", { transactionId: tx.id, orderId: unique("order") }))).toMatchObject({ code: 404 });
  });
});

describe("a processor failing during a capture", () => {
  it("answers 503 and leaves the authorization as it was; the same key captures once it recovers", async () => {
    const flaky = await startPayments({ gateway: new FlakyGateway({ capture: 4 }), settings: { gatewayRetries: 2 } });
    try {
      const tx = await flaky.broker.call<Transaction, Record<string, unknown>>("payments.authorize", authorizeParams());
      const capture = () => flaky.broker.call<Transaction, Ref>("payments.capture", { transactionId: tx.id, idempotencyKey: "capture-after-outage" });
      expect(await refusal(capture())).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", data: { operation: "capture" } });
      expect(await flaky.broker.call("payments.get", { id: tx.id })).toMatchObject({ status: "authorized" });
      expect(await capture()).toMatchObject({ status: "captured", captured: tx.amount });
      await waitUntil(() => flaky.seen.some((s) => s.event === "payment.failed" && s.payload.operation === "capture"), {
        description: "payment.failed for the capture",
        timeoutMs: 2000,
        intervalMs: 5,
      });
    } finally {
      await flaky.platform.stop();
    }
  });
});
