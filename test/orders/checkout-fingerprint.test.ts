/**
 * The fingerprint kept with a checkout's Idempotency-Key
 * (services/orders/checkout/checkout-fingerprint.ts): the same request gives the same one, any
 * difference that matters another, and no card secret goes into it.
 */
import { canonicalJson, checkoutFingerprint, type CheckoutBody } from "../../services/orders/checkout/checkout-fingerprint";

const body = (overrides: Partial<CheckoutBody> = {}, card: Partial<CheckoutBody["payment"]> = {}): CheckoutBody => ({
  shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
  shippingMethod: "standard",
  payment: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2031, cvc: "123", ...card },
  ...overrides,
});

describe("canonical JSON", () => {
  it("spells equal values one way: keys sorted at every depth, undefined fields dropped", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"x":2,"y":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe("the checkout fingerprint", () => {
  it("is the same for the same request, whatever the key order", () => {
    const a = body();
    const b: CheckoutBody = { payment: { cvc: "123", expYear: 2031, expMonth: 12, cardNumber: "4242424242424242" }, shippingMethod: "standard", shippingAddress: { country: "US", postalCode: "12345", city: "Springfield", line1: "1 Main St" } };
    expect(checkoutFingerprint(a)).toBe(checkoutFingerprint(b));
    expect(checkoutFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("differs for another address, method, card or expiry", () => {
    const base = checkoutFingerprint(body());
    expect(checkoutFingerprint(body({ shippingMethod: "express" }))).not.toBe(base);
    expect(checkoutFingerprint(body({ shippingAddress: undefined }))).not.toBe(base);
    expect(checkoutFingerprint(body({ shippingAddress: { line1: "2 Main St", city: "Springfield", postalCode: "12345", country: "US" } }))).not.toBe(base);
    expect(checkoutFingerprint(body({}, { cardNumber: "5555555555554444" }))).not.toBe(base);
    expect(checkoutFingerprint(body({}, { expYear: 2032 }))).not.toBe(base);
  });

  it("holds no card secret: the CVC does not change it, and the same brand, last four and expiry are one card to it", () => {
    const base = checkoutFingerprint(body());
    expect(checkoutFingerprint(body({}, { cvc: "999" }))).toBe(base);
    // Another Visa ending 4242 with the same expiry: indistinguishable by design (no number is kept, not even hashed).
    expect(checkoutFingerprint(body({}, { cardNumber: "4000056655664242" }))).toBe(base);
  });
});
