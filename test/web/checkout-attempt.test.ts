/**
 * The storefront's Idempotency-Key per checkout attempt (web/src/checkout-attempt.ts):
 * a retry of the same attempt reuses its key; a final answer or a changed
 * form starts a new attempt.
 */
import { CheckoutAttempts } from "../../web/src/checkout-attempt";

function attempts() {
  let n = 0;
  return new CheckoutAttempts(() => `key-${++n}`);
}

const BODY = { shippingMethod: "standard", payment: { cardNumber: "4242424242424242" } };

describe("CheckoutAttempts", () => {
  it("sends a second click of the same attempt with the same key", () => {
    const a = attempts();
    expect(a.keyFor(BODY)).toBe("key-1");
    expect(a.keyFor({ ...BODY })).toBe("key-1");
  });

  it.each([0, 503, 504])("keeps the key after an answer whose outcome is unknown (%s): the retry learns it", (status) => {
    const a = attempts();
    a.keyFor(BODY);
    a.answered(status);
    expect(a.keyFor(BODY)).toBe("key-1");
  });

  it.each([201, 402, 409, 422])("starts a new attempt after a final answer (%s)", (status) => {
    const a = attempts();
    a.keyFor(BODY);
    a.answered(status);
    expect(a.keyFor(BODY)).toBe("key-2");
  });

  it("starts a new attempt when the form changed: the API refuses a key reused with another body", () => {
    const a = attempts();
    a.keyFor(BODY);
    a.answered(503);
    expect(a.keyFor({ ...BODY, payment: { cardNumber: "5555555555554444" } })).toBe("key-2");
  });

  it("makes random keys by default", () => {
    const a = new CheckoutAttempts();
    const b = new CheckoutAttempts();
    expect(a.keyFor(BODY)).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.keyFor(BODY)).not.toBe(b.keyFor(BODY));
  });
});
