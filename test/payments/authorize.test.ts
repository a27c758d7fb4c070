/**
 * payments.authorize on a local broker: docs/api.md's test cards, card checks,
 * retries of a flaky processor, and idempotency keys (also under concurrency).
 */
import type { ServiceBroker } from "moleculer";
import type { LocalPlatform } from "../support/local-platform";
import type { SimulatedGateway } from "../../services/payments/simulated-gateway";
import { waitUntil } from "../support/wait-until";
import {
  authorizeParams,
  card,
  fieldsOf,
  FlakyGateway,
  refusal,
  startPayments,
  TEST_CARDS,
  unique,
  type SeenEvent,
  type Transaction,
} from "./payments-platform";

let platform: LocalPlatform;
let broker: ServiceBroker;
let gateway: SimulatedGateway;
let seen: SeenEvent[];

const RETRIES = 2;
const authorize = (params: Record<string, unknown>) => broker.call<Transaction, Record<string, unknown>>("payments.authorize", params);
const listByOrder = (orderId: string) => broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId });
const eventsOf = (orderId: string) => seen.filter((s) => s.payload.orderId === orderId);
const waitForEvent = (orderId: string, event: string) =>
  waitUntil(() => eventsOf(orderId).some((s) => s.event === event), { description: `${event} for ${orderId}`, timeoutMs: 2000, intervalMs: 5 });

beforeAll(async () => {
  // A little processor latency, so that concurrent calls really overlap.
  ({ platform, broker, gateway, seen } = await startPayments({ settings: { gatewayLatencyMs: 15, gatewayRetries: RETRIES } }));
});

afterAll(async () => {
  await platform?.stop();
});

describe("docs/api.md's test cards", () => {
  it("4242424242424242 is approved: an authorized transaction with brand and last four", async () => {
    const params = authorizeParams({ amount: 4999 });
    const tx = await authorize(params);
    expect(tx).toMatchObject({
      orderId: params.orderId,
      userId: "user-1",
      amount: 4999,
      currency: "USD",
      status: "authorized",
      brand: "visa",
      last4: "4242",
      captured: 0,
      refunded: 0,
      refundable: 0,
      gatewayRef: expect.stringMatching(/^sim_auth_/),
      history: [{ status: "authorized", at: expect.any(String) }],
    });
    expect(await broker.call("payments.get", { id: tx.id })).toEqual(tx);
    await waitForEvent(params.orderId as string, "payment.authorized");
    expect(eventsOf(params.orderId as string)[0].payload).toMatchObject({ transactionId: tx.id, amount: 4999, brand: "visa", last4: "4242" });
  });

  it.each([
    [TEST_CARDS.declined, "card_declined"],
    [TEST_CARDS.insufficientFunds, "insufficient_funds"],
  ])("%s is declined (402 %s), and the decline is stored", async (number, reason) => {
    const params = authorizeParams({ card: card(number) });
    const err = await refusal(authorize(params));
    expect(err).toMatchObject({ code: 402, type: "PAYMENT_DECLINED", data: { reason } });
    const [tx] = await listByOrder(params.orderId as string);
    expect(tx).toMatchObject({ status: "declined", declineReason: reason, gatewayRef: null, history: [{ status: "declined", reason }] });
    expect(err.data.transactionId).toBe(tx.id);
    await waitForEvent(params.orderId as string, "payment.failed");
    expect(eventsOf(params.orderId as string)[0].payload).toMatchObject({ status: "declined", reason, operation: "authorize" });
  });

  it("4000000000000119 fails transiently: retried with backoff, then 503, stored as failed", async () => {
    const calls = gateway.calls.authorize;
    const params = authorizeParams({ card: card(TEST_CARDS.gatewayError) });
    const err = await refusal(authorize(params));
    expect(err).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", data: { operation: "authorize" } });
    // The service retried already; the broker must not multiply that.
    expect(err.retryable).toBe(false);
    expect(gateway.calls.authorize - calls).toBe(RETRIES + 1);
    const [tx] = await listByOrder(params.orderId as string);
    expect(tx).toMatchObject({ status: "failed", history: [{ status: "failed", reason: "gateway_unavailable" }] });
    await waitForEvent(params.orderId as string, "payment.failed");
  });

  it("a failure is not final for its key: the same call again tries the processor again", async () => {
    const params = authorizeParams({ card: card(TEST_CARDS.gatewayError) });
    await refusal(authorize(params));
    const calls = gateway.calls.authorize;
    expect((await refusal(authorize(params))).code).toBe(503);
    expect(gateway.calls.authorize - calls).toBe(RETRIES + 1);
    const txs = await listByOrder(params.orderId as string);
    expect(txs).toHaveLength(1);
    expect(txs[0].history.map((h) => h.status)).toEqual(["failed", "failed"]);
  });
});

describe("card checks before the processor", () => {
  it("a number failing the Luhn check is a 422 naming card.number, and nothing is stored", async () => {
    const calls = gateway.calls.authorize;
    const params = authorizeParams({ card: card("4242424242424241") });
    const err = await refusal(authorize(params));
    expect(err).toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
    expect(fieldsOf(err)).toEqual(["card.number"]);
    expect(gateway.calls.authorize).toBe(calls);
    expect(await listByOrder(params.orderId as string)).toEqual([]);
  });

  it("an expired card is a 422 naming the expiry", async () => {
    const lastMonth = new Date();
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    const err = await refusal(authorize(authorizeParams({ card: card(TEST_CARDS.approved, { expMonth: lastMonth.getUTCMonth() + 1, expYear: lastMonth.getUTCFullYear() }) })));
    expect(err.code).toBe(422);
    expect(fieldsOf(err)).toEqual(["card.expMonth", "card.expYear"]);
  });

  it("malformed card fields are a 422 naming each of them", async () => {
    const err = await refusal(authorize(authorizeParams({ card: { number: "4242-abcd", expMonth: 0, expYear: "later", cvc: "12" } })));
    expect(err.code).toBe(422);
    expect(fieldsOf(err)).toEqual(["card.number", "card.expMonth", "card.expYear", "card.cvc"]);
    expect(fieldsOf(await refusal(authorize(authorizeParams({ card: undefined }))))).toEqual(["card"]);
  });

  it("an American Express card is approved with its four-digit code", async () => {
    const tx = await authorize(authorizeParams({ card: card("378282246310005", { cvc: "1234" }) }));
    expect(tx).toMatchObject({ status: "authorized", brand: "amex", last4: "0005" });
  });
});

describe("other bad input", () => {
  it.each([
    ["amount", { amount: 0 }],
    ["amount", { amount: 19.99 }],
    ["amount", { amount: "1999" }],
    ["currency", { currency: "usd" }],
    ["idempotencyKey", { idempotencyKey: undefined }],
    ["orderId", { orderId: "" }],
  ])("is a 422 naming %s", async (field, overrides) => {
    const err = await refusal(authorize(authorizeParams(overrides)));
    expect(err).toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
    expect(fieldsOf(err)).toContain(field);
  });
});

describe("idempotency keys", () => {
  it("10 identical calls at once make one transaction and one charge, and all get it", async () => {
    const params = authorizeParams();
    const calls = gateway.calls.authorize;
    const charges = gateway.charges;
    const results = await Promise.all(Array.from({ length: 10 }, () => authorize(params)));
    expect(new Set(results.map((tx) => tx.id)).size).toBe(1);
    expect(results.every((tx) => tx.status === "authorized")).toBe(true);
    expect(await listByOrder(params.orderId as string)).toHaveLength(1);
    expect(gateway.calls.authorize - calls).toBe(1);
    expect(gateway.charges - charges).toBe(1);
  });

  it("the same call later answers the same transaction without calling the processor", async () => {
    const params = authorizeParams();
    const first = await authorize(params);
    const calls = gateway.calls.authorize;
    expect(await authorize(params)).toEqual(first);
    expect(gateway.calls.authorize).toBe(calls);
  });

  it("a decline is final for its key: the same 402 again, without calling the processor", async () => {
    const params = authorizeParams({ card: card(TEST_CARDS.declined) });
    const first = await refusal(authorize(params));
    const calls = gateway.calls.authorize;
    expect(await refusal(authorize(params))).toEqual(first);
    expect(gateway.calls.authorize).toBe(calls);
    expect(await listByOrder(params.orderId as string)).toHaveLength(1);
  });

  it("the same key with a different amount, order or card is a 409", async () => {
    const params = authorizeParams();
    await authorize(params);
    for (const change of [{ amount: 2600 }, { orderId: unique("order") }, { card: card("5555555555554444") }]) {
      expect(await refusal(authorize({ ...params, ...change }))).toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_REUSED", data: { field: "idempotencyKey" } });
    }
  });

  it("a key of an authorization cannot be reused for a capture", async () => {
    const params = authorizeParams();
    const tx = await authorize(params);
    expect(await refusal(broker.call("payments.capture", { transactionId: tx.id, idempotencyKey: params.idempotencyKey }))).toMatchObject({
      code: 409,
      type: "IDEMPOTENCY_KEY_REUSED",
    });
  });
});

describe("a processor that recovers", () => {
  it("is retried until it answers, within the retries", async () => {
    const flaky = await startPayments({ gateway: new FlakyGateway({ authorize: RETRIES }), settings: { gatewayRetries: RETRIES } });
    try {
      const params = authorizeParams();
      const tx = await flaky.broker.call<Transaction, Record<string, unknown>>("payments.authorize", params);
      expect(tx.status).toBe("authorized");
      expect(flaky.gateway.calls.authorize).toBe(1); // the simulated part saw only the call that got through
    } finally {
      await flaky.platform.stop();
    }
  });

  it("answers 503 while it is down, and authorizes the same transaction when called again with the key", async () => {
    const flaky = await startPayments({ gateway: new FlakyGateway({ authorize: RETRIES + 2 }), settings: { gatewayRetries: RETRIES } });
    try {
      const params = authorizeParams();
      const call = () => flaky.broker.call<Transaction, Record<string, unknown>>("payments.authorize", params);
      expect((await refusal(call())).code).toBe(503);
      const tx = await call();
      expect(tx.status).toBe("authorized");
      expect(tx.history.map((h) => h.status)).toEqual(["failed", "authorized"]);
      const all = await flaky.broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId: params.orderId as string });
      expect(all.map((t) => t.id)).toEqual([tx.id]);
    } finally {
      await flaky.platform.stop();
    }
  });
});
