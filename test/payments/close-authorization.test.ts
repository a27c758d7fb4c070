/**
 * payments.closeAuthorization on a local broker: a checkout whose
 * authorization call timed out closes its key, so that the call, if it is
 * still on its way, does nothing when it arrives. The answer says whether an
 * authorization under the key can still happen.
 */
import type { ServiceBroker } from "moleculer";
import type { AuthorizeRequest } from "../../services/payments/payment-gateway";
import { SimulatedGateway } from "../../services/payments/simulated-gateway";
import type { LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";
import { authorizeParams, card, fieldsOf, refusal, startPayments, TEST_CARDS, unique, type Transaction } from "./payments-platform";

/** The simulated processor, whose authorizations can be held on their way in until the test lets them through. */
class HeldGateway extends SimulatedGateway {
  waiting = 0;
  private gate: Promise<void> | null = null;

  constructor() {
    super({ latencyMs: 0 });
  }

  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  override async authorize(req: AuthorizeRequest) {
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    return super.authorize(req);
  }
}

let platform: LocalPlatform;
let broker: ServiceBroker;
const gateway = new HeldGateway();

const authorize = (params: Record<string, unknown>) => broker.call<Transaction, Record<string, unknown>>("payments.authorize", params);
const close = (idempotencyKey: string) => broker.call<{ state: string }, { idempotencyKey: string }>("payments.closeAuthorization", { idempotencyKey });
const listByOrder = (orderId: unknown) => broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId: String(orderId) });
const OPERATION_CLOSED = { code: 409, type: "OPERATION_CLOSED", data: { field: "idempotencyKey" } };

beforeAll(async () => {
  ({ platform, broker } = await startPayments({ gateway }));
});

afterAll(async () => {
  await platform?.stop();
});

describe("closing the key of an authorization that never arrived", () => {
  it("answers closed; the authorization arriving later is a 409 OPERATION_CLOSED that calls no processor and stores nothing", async () => {
    const params = authorizeParams();
    expect(await close(params.idempotencyKey)).toEqual({ state: "closed" });

    const calls = gateway.calls.authorize;
    expect(await refusal(authorize(params))).toMatchObject(OPERATION_CLOSED);
    expect(gateway.calls.authorize).toBe(calls);
    expect(await listByOrder(params.orderId)).toEqual([]);
  });

  it("answers closed again when asked again (the call may be retried)", async () => {
    const key = unique("auth");
    expect(await close(key)).toEqual({ state: "closed" });
    expect(await close(key)).toEqual({ state: "closed" });
  });
});

describe("closing the key of an authorization that arrived", () => {
  it("approved: answers done, and the authorization stands", async () => {
    const params = authorizeParams();
    const tx = await authorize(params);
    expect(await close(params.idempotencyKey)).toEqual({ state: "done" });
    expect(await listByOrder(params.orderId)).toMatchObject([{ id: tx.id, status: "authorized" }]);
    expect(await authorize(params)).toEqual(tx);
  });

  it("declined: answers done, and the key still gives the same 402", async () => {
    const params = authorizeParams({ card: card(TEST_CARDS.declined) });
    const declined = await refusal(authorize(params));
    expect(await close(params.idempotencyKey)).toEqual({ state: "done" });
    expect(await refusal(authorize(params))).toEqual(declined);
  });

  it("failed (the processor was unreachable): answers closed, and the same call again is refused instead of trying the processor again", async () => {
    const params = authorizeParams({ card: card(TEST_CARDS.gatewayError) });
    expect((await refusal(authorize(params))).code).toBe(503);
    expect(await close(params.idempotencyKey)).toEqual({ state: "closed" });

    const calls = gateway.calls.authorize;
    expect(await refusal(authorize(params))).toMatchObject(OPERATION_CLOSED);
    expect(gateway.calls.authorize).toBe(calls);
    expect(await listByOrder(params.orderId)).toMatchObject([{ status: "failed" }]);
  });

  it("still running: answers running, and the authorization completes as usual", async () => {
    const params = authorizeParams();
    const release = gateway.hold();
    let authorizing: Promise<Transaction>;
    try {
      authorizing = authorize(params);
      await waitUntil(() => gateway.waiting === 1, { description: "the authorization at the processor", timeoutMs: 2000, intervalMs: 5 });
      expect(await close(params.idempotencyKey)).toEqual({ state: "running" });
    } finally {
      release();
    }
    expect(await authorizing).toMatchObject({ status: "authorized" });
    expect(await close(params.idempotencyKey)).toEqual({ state: "done" });
  });
});

describe("bad input", () => {
  it("a missing or empty idempotencyKey is a 422 naming it", async () => {
    for (const params of [{}, { idempotencyKey: "" }]) {
      const err = await refusal(broker.call("payments.closeAuthorization", params));
      expect(err).toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
      expect(fieldsOf(err)).toContain("idempotencyKey");
    }
  });
});
