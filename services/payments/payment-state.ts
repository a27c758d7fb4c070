/**
 * The life of a payment transaction, in the one place it is decided:
 *
 *   (authorize) -> authorized | declined | failed
 *   (charge)    -> captured | declined | failed     (authorized and captured in one processor call)
 *   failed      -> authorized | captured | declined | failed   (the same key tried again)
 *   authorized  -> captured | voided
 *   captured    -> partially_refunded | refunded
 *   partially_refunded -> partially_refunded | refunded
 *
 * voided, refunded and declined are final. The service asks planOperation()
 * what a capture, void or refund would do, and writes the answer with a
 * conditional update on the status it read, so two nodes never both apply one.
 */
import { conflict } from "../../platform/errors";

export const PAYMENT_STATUSES = ["authorized", "captured", "voided", "refunded", "partially_refunded", "declined", "failed"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type SettleKind = "capture" | "void" | "refund";
export type PaymentOperation = { kind: "capture" } | { kind: "void" } | { kind: "refund"; amount?: number };

const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  authorized: ["captured", "voided"],
  captured: ["partially_refunded", "refunded"],
  partially_refunded: ["partially_refunded", "refunded"],
  failed: ["authorized", "captured", "declined", "failed"],
  voided: [],
  refunded: [],
  declined: [],
};

/** Statuses each operation starts from. */
export const OPERATION_FROM: Record<SettleKind, readonly PaymentStatus[]> = {
  capture: ["authorized"],
  void: ["authorized"],
  refund: ["captured", "partially_refunded"],
};

export interface Balance {
  status: PaymentStatus;
  /** Authorized amount, integer minor units. */
  amount: number;
  captured: number;
  refunded: number;
}

export interface Plan {
  status: PaymentStatus;
  captured: number;
  refunded: number;
  /** The money this operation moves (0 for a void). */
  amount: number;
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

const WHY_NOT: Partial<Record<`${SettleKind}:${PaymentStatus}`, string>> = {
  "capture:voided": "A voided authorization cannot be captured",
  "capture:captured": "The payment is already captured",
  "void:captured": "A captured payment cannot be voided: refund it",
  "refund:authorized": "The payment is not captured yet: void the authorization instead",
  "refund:voided": "A voided authorization has nothing to refund",
  "refund:refunded": "The payment is already fully refunded",
};

export function invalidTransition(kind: SettleKind | "authorize", status: PaymentStatus) {
  const reason = WHY_NOT[`${kind as SettleKind}:${status}`] ?? `Cannot ${kind} a payment that is ${status}`;
  return conflict(reason, "INVALID_TRANSITION", { operation: kind, status });
}

/** What the operation makes of the transaction; throws 409 when it is not allowed now. */
export function planOperation(balance: Balance, op: PaymentOperation): Plan {
  if (!OPERATION_FROM[op.kind].includes(balance.status)) throw invalidTransition(op.kind, balance.status);
  const { captured, refunded } = balance;
  switch (op.kind) {
    case "capture":
      return checked(balance, { status: "captured", captured: balance.amount, refunded, amount: balance.amount });
    case "void":
      return checked(balance, { status: "voided", captured, refunded, amount: 0 });
    case "refund": {
      const refundable = captured - refunded;
      const amount = op.amount ?? refundable;
      if (amount <= 0 || amount > refundable) {
        throw conflict(`A refund of ${amount} is more than the ${refundable} still refundable`, "REFUND_EXCEEDS_CAPTURED", { field: "amount", refundable });
      }
      const total = refunded + amount;
      return checked(balance, { status: total === captured ? "refunded" : "partially_refunded", captured, refunded: total, amount });
    }
  }
}

/**
 * The status an authorization attempt leaves (a charge's approval is a
 * capture); only a new transaction or a failed one may be (re)authorized.
 */
export function authorizationStatus(outcome: "approved" | "declined" | "failed", previous: PaymentStatus | null, capture = false): PaymentStatus {
  const next: PaymentStatus = outcome === "approved" ? (capture ? "captured" : "authorized") : outcome;
  if (previous !== null && !canTransition(previous, next)) throw invalidTransition("authorize", previous);
  return next;
}

function checked(balance: Balance, plan: Plan): Plan {
  // The table is the last word: a plan the switch allows but the table does not is a bug caught here.
  if (!canTransition(balance.status, plan.status)) throw conflict(`Cannot go from ${balance.status} to ${plan.status}`, "INVALID_TRANSITION");
  return plan;
}
