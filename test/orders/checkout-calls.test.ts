/**
 * services/orders/checkout/checkout-calls.ts with a scripted stand-in for ctx.call: how the
 * forward steps of a checkout (reserve, charge) retry within the
 * request's time, which failure they end with, and how payment() closes a
 * charge that may still be on its way.
 */
import { Errors } from "moleculer";
import { checkoutCalls, type Call } from "../../services/orders/checkout/checkout-calls";
import { isDefinitive } from "../../services/orders/checkout/checkout-failures";
import type { PaymentFacts, SagaCalls } from "../../services/orders/checkout/checkout-saga";
import { conflict, unavailable } from "../../platform/errors";
import type { OrderDoc } from "../../services/orders/order-model";
import { declined } from "../../services/payments/payment-records";

interface Attempt {
  action: string;
  params: Record<string, unknown>;
  opts?: { retries?: number };
}

/** A Call that answers with `answers` in turn (an Error is thrown) and records every call it gets. */
function scripted(...answers: unknown[]) {
  const attempts: Attempt[] = [];
  const call: Call = async <T>(action: string, params: Record<string, unknown>, opts?: { retries?: number }): Promise<T> => {
    attempts.push({ action, params, opts });
    if (answers.length === 0) throw new Error(`unexpected call of ${action}`);
    const answer = answers.shift();
    if (answer instanceof Error) throw answer;
    return answer as T;
  };
  return { call, attempts };
}

const untouched = scripted().call;
const ORDER = {
  id: "o-1",
  userId: "u-1",
  items: [{ productId: "p-1", sku: "SKU-1", name: "Widget", unitPrice: 1000, quantity: 2, lineTotal: 2000 }],
  total: 2500,
  currency: "USD",
} as unknown as OrderDoc;
const CARD = { number: "4242424242424242", expMonth: 12, expYear: 2099, cvc: "123" };

const tx = (id: string, status: string) => ({ id, status, brand: "visa", last4: "4242", amount: 2500 });
const facts = (id: string, status: string): PaymentFacts => ({ transactionId: id, status: status as PaymentFacts["status"], brand: "visa", last4: "4242" });

const timeout = (action: string) => new Errors.RequestTimeoutError({ action, nodeID: "n1" });
const timeUp = (action: string) => new Errors.RequestSkippedError({ action, nodeID: "n1" });
const noNode = (action: string) => new Errors.ServiceNotAvailableError({ action, nodeID: "n1" });
const notFound = (action: string) => new Errors.ServiceNotFoundError({ action });

interface Step {
  action: string;
  run: (calls: SagaCalls) => Promise<unknown>;
  answer: unknown;
  result: unknown;
  params: Record<string, unknown>;
}

const STEPS: Record<"reserve" | "charge", Step> = {
  reserve: {
    action: "products.reserve",
    run: (calls) => calls.reserve(ORDER),
    answer: { status: "reserved" },
    result: undefined,
    params: { orderId: "o-1", items: [{ productId: "p-1", quantity: 2 }] },
  },
  charge: {
    action: "payments.charge",
    run: (calls) => calls.charge(ORDER, CARD),
    answer: tx("tx-1", "captured"),
    result: facts("tx-1", "captured"),
    params: { orderId: "o-1", userId: "u-1", amount: 2500, currency: "USD", card: CARD, idempotencyKey: "o-1:charge" },
  },
};

/** Runs a forward step against the scripted answers; detached calls must not happen. */
async function forward(step: Step, ...answers: unknown[]): Promise<{ failed: boolean; value?: unknown; error?: unknown; attempts: Attempt[] }> {
  const { call, attempts } = scripted(...answers);
  return step.run(checkoutCalls(call, untouched)).then(
    (value) => ({ failed: false, value, attempts }),
    (error: unknown) => ({ failed: true, error, attempts }),
  );
}

describe.each(Object.entries(STEPS))("the forward step %s", (_name, step) => {
  it("tries a transient failure again, each attempt through the request's own call and without broker retries", async () => {
    const { failed, value, attempts } = await forward(step, unavailable("busy"), timeout(step.action), step.answer);
    expect(failed).toBe(false);
    expect(value).toEqual(step.result);
    expect(attempts).toEqual(Array.from({ length: 3 }, () => ({ action: step.action, params: step.params, opts: { retries: 0 } })));
  });

  it("gives up after three attempts", async () => {
    const last = unavailable("still busy");
    const { error, attempts } = await forward(step, unavailable("busy"), unavailable("busy"), last, step.answer);
    expect(attempts).toHaveLength(3);
    expect(error).toBe(last);
  });

  it.each([
    ["no node has the action", noNode],
    ["the action is not in the registry at all", notFound],
  ])("is not tried again when %s", async (_case, failure) => {
    const refused = failure(step.action);
    expect(refused.retryable).toBe(true); // the broker's own flag would allow a retry
    const { error, attempts } = await forward(step, refused, step.answer);
    expect(attempts).toHaveLength(1);
    expect(error).toBe(refused);
  });

  it("is not tried again once the request's time is up, and fails with what used the time up", async () => {
    const first = timeout(step.action);
    const { error, attempts } = await forward(step, first, timeUp(step.action), step.answer);
    expect(attempts).toHaveLength(2);
    expect(error).toBe(first);

    const skipped = timeUp(step.action);
    const alone = await forward(step, skipped, step.answer);
    expect(alone.attempts).toHaveLength(1);
    expect(alone.error).toBe(skipped);
  });

  it("takes the callee's refusal (a 4xx) as its answer", async () => {
    const refusal = conflict("no", "SOMETHING_CONFLICTING");
    const { error, attempts } = await forward(step, refusal, step.answer);
    expect(attempts).toHaveLength(1);
    expect(error).toBe(refusal);
  });
});

describe("charge fails with the first failure that may have reached payments", () => {
  const ACTION = "payments.charge";

  it("a timeout, then no node left: the timeout (the first call may still land)", async () => {
    const first = timeout(ACTION);
    const { error, attempts } = await forward(STEPS.charge, first, noNode(ACTION));
    expect(attempts).toHaveLength(2);
    expect(error).toBe(first);
    expect(isDefinitive(error)).toBe(false); // so the saga refunds a charge that may exist
  });

  it("a timeout, then 409 key in progress (the first call is running): the timeout", async () => {
    const first = timeout(ACTION);
    const { error, attempts } = await forward(STEPS.charge, first, conflict("busy", "IDEMPOTENCY_KEY_IN_PROGRESS"));
    expect(attempts).toHaveLength(2);
    expect(error).toBe(first);
  });

  it("two timeouts, then payments unavailable: the first timeout", async () => {
    const first = timeout(ACTION);
    const { error, attempts } = await forward(STEPS.charge, first, timeout(ACTION), unavailable("payments is down"));
    expect(attempts).toHaveLength(3);
    expect(error).toBe(first);
  });

  it("a timeout, then a decline: the decline (402), payments' final word on the key", async () => {
    const decline = declined("insufficient_funds", "tx-1");
    const { error, attempts } = await forward(STEPS.charge, timeout(ACTION), decline);
    expect(attempts).toHaveLength(2);
    expect(error).toBe(decline);
  });

  it("only refusals that certainly did nothing: the last of them", async () => {
    const last = noNode(ACTION);
    const { error } = await forward(STEPS.charge, unavailable("payments is down"), last);
    expect(error).toBe(last);
  });
});

describe("reserve", () => {
  it("refuses a reservation that products answers as released (409 RESERVATION_RELEASED), without trying again", async () => {
    const { error, attempts } = await forward(STEPS.reserve, { status: "released" }, STEPS.reserve.answer);
    expect(error).toMatchObject({ code: 409, type: "RESERVATION_RELEASED", data: { orderId: "o-1" } });
    expect(attempts).toHaveLength(1);
  });

  it("fails with a first timeout rather than a later refusal: the timed-out reservation may still land", async () => {
    const first = timeout("products.reserve");
    const { error, attempts } = await forward(STEPS.reserve, first, noNode("products.reserve"));
    expect(attempts).toHaveLength(2);
    expect(error).toBe(first);
    expect(isDefinitive(error)).toBe(false); // so the saga releases the stock again once the lease is over
  });
});

describe("the order's payment, for undoing it", () => {
  const LIST = { action: "payments.listByOrder", params: { orderId: "o-1" }, opts: { retries: 2 } };
  const CLOSE = { action: "payments.closeAuthorization", params: { idempotencyKey: "o-1:charge", operation: "charge" }, opts: { retries: 2 } };
  const payment = (detached: Call, opts?: { closeAuthorization?: boolean }) => checkoutCalls(untouched, detached).payment(ORDER, opts);

  it("is the transaction that moved money; declined and failed attempts do not count, and nothing is closed", async () => {
    const { call, attempts } = scripted([tx("tx-2", "declined"), tx("tx-1", "authorized"), tx("tx-0", "failed")]);
    expect(await payment(call, { closeAuthorization: true })).toEqual(facts("tx-1", "authorized"));
    expect(attempts).toEqual([LIST]);
  });

  it("without closeAuthorization, none is null and nothing is closed", async () => {
    const { call, attempts } = scripted([tx("tx-0", "failed")]);
    expect(await payment(call)).toBeNull();
    expect(attempts).toEqual([LIST]);
  });

  it("with closeAuthorization and none yet: closes the charge's key; closed means none ever will (null)", async () => {
    const { call, attempts } = scripted([], { state: "closed" });
    expect(await payment(call, { closeAuthorization: true })).toBeNull();
    expect(attempts).toEqual([LIST, CLOSE]);
  });

  it("with closeAuthorization, a charge still running is a 409 AUTHORIZATION_RUNNING (try again later)", async () => {
    const { call } = scripted([], { state: "running" });
    await expect(payment(call, { closeAuthorization: true })).rejects.toMatchObject({ code: 409, type: "AUTHORIZATION_RUNNING", data: { orderId: "o-1" } });
  });

  it("with closeAuthorization, a charge that ran between the two looks is looked up again", async () => {
    const { call, attempts } = scripted([], { state: "done" }, [tx("tx-1", "captured")]);
    expect(await payment(call, { closeAuthorization: true })).toEqual(facts("tx-1", "captured"));
    expect(attempts).toEqual([LIST, CLOSE, LIST]);
  });
});

describe("clearing the cart after a paid order", () => {
  it("asks cart to take out only the order's lines, once per order: what was added during the checkout stays", async () => {
    const detached = scripted({ removedLines: 1 });
    await checkoutCalls(untouched, detached.call).clearCart(ORDER);
    expect(detached.attempts).toEqual([{ action: "cart.clearFor", params: { userId: "u-1", orderId: "o-1", items: [{ productId: "p-1", quantity: 2 }] }, opts: { retries: 2 } }]);
  });
});
