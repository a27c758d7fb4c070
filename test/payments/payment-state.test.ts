/**
 * services/payments/payment-state.ts: which operation may follow which, and what each
 * does to the balance of a transaction. The service has no other rules.
 */
import { authorizationStatus, canTransition, planOperation, type Balance, type PaymentStatus } from "../../services/payments/payment-state";

const balance = (status: PaymentStatus, captured = 0, refunded = 0): Balance => ({ status, amount: 1000, captured, refunded });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    const e = err as { code: number; type: string; data: unknown };
    return { code: e.code, type: e.type, data: e.data };
  }
  throw new Error("expected a refusal");
};

describe("capture and void of an authorization", () => {
  it("captures the whole authorized amount", () => {
    expect(planOperation(balance("authorized"), { kind: "capture" })).toEqual({ status: "captured", captured: 1000, refunded: 0, amount: 1000 });
  });

  it("voids without moving money", () => {
    expect(planOperation(balance("authorized"), { kind: "void" })).toEqual({ status: "voided", captured: 0, refunded: 0, amount: 0 });
  });

  it("refuses to capture after a void, or twice", () => {
    expect(refusal(() => planOperation(balance("voided"), { kind: "capture" }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION", data: { operation: "capture", status: "voided" } });
    expect(refusal(() => planOperation(balance("captured", 1000), { kind: "capture" }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
  });

  it("refuses to void what is captured", () => {
    expect(refusal(() => planOperation(balance("captured", 1000), { kind: "void" }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
  });

  it("moves nothing that was declined or failed", () => {
    for (const status of ["declined", "failed"] as const) {
      for (const kind of ["capture", "void", "refund"] as const) {
        expect(refusal(() => planOperation(balance(status), { kind }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
      }
    }
  });
});

describe("refunds", () => {
  it("are refused before the capture", () => {
    expect(refusal(() => planOperation(balance("authorized"), { kind: "refund", amount: 100 }))).toMatchObject({
      code: 409,
      type: "INVALID_TRANSITION",
      data: { operation: "refund", status: "authorized" },
    });
  });

  it("partially refund, then fully refund what is left", () => {
    const first = planOperation(balance("captured", 1000), { kind: "refund", amount: 300 });
    expect(first).toEqual({ status: "partially_refunded", captured: 1000, refunded: 300, amount: 300 });
    const second = planOperation(balance("partially_refunded", 1000, 300), { kind: "refund", amount: 200 });
    expect(second).toEqual({ status: "partially_refunded", captured: 1000, refunded: 500, amount: 200 });
    expect(planOperation(balance("partially_refunded", 1000, 500), { kind: "refund" })).toEqual({ status: "refunded", captured: 1000, refunded: 1000, amount: 500 });
  });

  it("refund everything when no amount is given", () => {
    expect(planOperation(balance("captured", 1000), { kind: "refund" })).toEqual({ status: "refunded", captured: 1000, refunded: 1000, amount: 1000 });
  });

  it("never go above what was captured minus what was refunded", () => {
    expect(refusal(() => planOperation(balance("captured", 1000), { kind: "refund", amount: 1001 }))).toMatchObject({
      code: 409,
      type: "REFUND_EXCEEDS_CAPTURED",
      data: { field: "amount", refundable: 1000 },
    });
    expect(refusal(() => planOperation(balance("partially_refunded", 1000, 700), { kind: "refund", amount: 301 }))).toMatchObject({
      type: "REFUND_EXCEEDS_CAPTURED",
      data: { refundable: 300 },
    });
    expect(refusal(() => planOperation(balance("refunded", 1000, 1000), { kind: "refund" }))).toMatchObject({ type: "INVALID_TRANSITION" });
  });
});

describe("authorization outcomes", () => {
  it("start a transaction as authorized, declined or failed", () => {
    expect(authorizationStatus("approved", null)).toBe("authorized");
    expect(authorizationStatus("declined", null)).toBe("declined");
    expect(authorizationStatus("failed", null)).toBe("failed");
  });

  it("may only be tried again on a failed one", () => {
    expect(authorizationStatus("approved", "failed")).toBe("authorized");
    expect(authorizationStatus("failed", "failed")).toBe("failed");
    expect(refusal(() => authorizationStatus("approved", "declined"))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
    expect(refusal(() => authorizationStatus("approved", "authorized"))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
  });

  it("leave voided, refunded and declined final", () => {
    const all: PaymentStatus[] = ["authorized", "captured", "voided", "refunded", "partially_refunded", "declined", "failed"];
    for (const final of ["voided", "refunded", "declined"] as const) {
      expect(all.filter((to) => canTransition(final, to))).toEqual([]);
    }
  });
});
