/**
 * services/payments/simulated-gateway.ts: docs/api.md's test cards at the processor, and its
 * memory of idempotency keys. The payments service adds Luhn, expiry,
 * retries and storage (see authorize.test.ts).
 */
import { TransientGatewayError } from "../../services/payments/payment-gateway";
import { createGateway, gatewayNames, registerGateway } from "../../services/payments/payment-gateways";
import { SimulatedGateway, TEST_CARDS } from "../../services/payments/simulated-gateway";

const request = (number: string, idempotencyKey: string) => ({
  orderId: "order-1",
  amount: 1999,
  currency: "USD",
  card: { number, expMonth: 12, expYear: 2040, cvc: "123" },
  idempotencyKey,
});

describe("the simulated gateway", () => {
  const gateway = new SimulatedGateway({ latencyMs: 0 });

  it("approves 4242424242424242 with a reference", async () => {
    const result = await gateway.authorize(request(TEST_CARDS.approved, "k-approved"));
    expect(result).toEqual({ approved: true, gatewayRef: expect.stringMatching(/^sim_auth_[0-9a-f]+$/) });
  });

  it("declines 4000000000000002 as card_declined and 4000000000009995 as insufficient_funds", async () => {
    expect(await gateway.authorize(request(TEST_CARDS.declined, "k-declined"))).toEqual({ approved: false, reason: "card_declined" });
    expect(await gateway.authorize(request(TEST_CARDS.insufficientFunds, "k-funds"))).toEqual({ approved: false, reason: "insufficient_funds" });
  });

  it("fails 4000000000000119 with a transient error, every time", async () => {
    await expect(gateway.authorize(request(TEST_CARDS.gatewayError, "k-error"))).rejects.toBeInstanceOf(TransientGatewayError);
    await expect(gateway.authorize(request(TEST_CARDS.gatewayError, "k-error"))).rejects.toBeInstanceOf(TransientGatewayError);
  });

  it("answers a repeated key with its first answer and charges once", async () => {
    const before = gateway.charges;
    const first = await gateway.authorize(request(TEST_CARDS.approved, "k-repeat"));
    const again = await gateway.authorize(request(TEST_CARDS.approved, "k-repeat"));
    expect(again).toEqual(first);
    expect(gateway.charges).toBe(before + 1);
    const capture = await gateway.capture({ gatewayRef: "ref", amount: 1999, currency: "USD", idempotencyKey: "c-1" });
    expect(await gateway.capture({ gatewayRef: "ref", amount: 1999, currency: "USD", idempotencyKey: "c-1" })).toEqual(capture);
  });

  it("answers only after the configured latency", async () => {
    jest.useFakeTimers();
    try {
      const slow = new SimulatedGateway({ latencyMs: 30 });
      let answered = false;
      const call = slow.void({ gatewayRef: "ref", amount: 1, currency: "USD", idempotencyKey: "v-1" }).then(() => (answered = true));
      await jest.advanceTimersByTimeAsync(29);
      expect(answered).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await call;
      expect(answered).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe("choosing a gateway", () => {
  it("builds the simulated one by name and refuses an unknown name", () => {
    expect(createGateway("simulated", { latencyMs: 0 }).name).toBe("simulated");
    expect(() => createGateway("acme", { latencyMs: 0 })).toThrow(/Unknown payment gateway "acme".*simulated/);
  });

  it("takes a new processor without changing the service", () => {
    registerGateway("in-test", (opts) => Object.assign(new SimulatedGateway(opts), { name: "in-test" }));
    expect(gatewayNames()).toContain("in-test");
    expect(createGateway("in-test", { latencyMs: 0 }).name).toBe("in-test");
  });
});
