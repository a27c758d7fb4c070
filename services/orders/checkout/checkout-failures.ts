/**
 * What a failed checkout step means, kept apart from the saga that acts on
 * it: whether the call certainly did nothing (so there is nothing of it to
 * undo), which compensations a failure at each step needs, and the answer
 * the client gets, in docs/api.md's shape, stored with the order and replayed
 * under its Idempotency-Key.
 */
import { Errors } from "moleculer";
import type { Outcome } from "./checkout-keys";
import { publicOrder, renamedCardField, type OrderDoc } from "../order-model";
import { toPublicError, type PublicError } from "../../../platform/public-error";

export type ForwardStep = "reserve" | "charge" | "commit";

export interface CompensationPlan {
  stock: boolean;
  payment: boolean;
  /** A forward call's outcome is unknown (it may still land, after the undo): undo again later. */
  recheck: boolean;
}

/** Never sent: the callee cannot have acted on these. */
const NOT_SENT = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE", "QUEUE_FULL"]);

const codeOf = (err: unknown) => (err as { code?: unknown } | null)?.code;
const typeOf = (err: unknown) => (err as { type?: unknown } | null)?.type;

export function isClientError(err: unknown): boolean {
  const code = codeOf(err);
  return typeof code === "number" && code >= 400 && code < 500;
}

/** True when the failed call certainly did nothing: refused by the callee, never delivered, or answered "unavailable" by it. */
export function isDefinitive(err: unknown): boolean {
  if (isClientError(err)) return true;
  const type = typeOf(err);
  if (typeof type === "string" && NOT_SENT.has(type)) return true;
  return codeOf(err) === 503 && type === "SERVICE_UNAVAILABLE";
}

/**
 * What to undo when the step `failedAt` failed with an error that was
 * `definitive` or not. The stock is always released (idempotent; a failed
 * reserve gave back what it took, a timed-out one may not have). The
 * payment is undone (refunded) once a charge may exist. A reservation or a
 * charge that timed out may still be on its way and land after the undo (a
 * release that found nothing to release, a refund before the charge): both
 * are undone again once the saga's lease ran out.
 */
export function compensationPlan(failedAt: ForwardStep, definitive: boolean): CompensationPlan {
  const uncertainCharge = failedAt === "charge" && !definitive;
  const uncertainReservation = failedAt === "reserve" && !definitive;
  return { stock: true, payment: failedAt === "commit" || uncertainCharge, recheck: uncertainCharge || uncertainReservation };
}

/** The client's answer for a checkout that failed with `err`: docs/api.md's shape, 503/504 for anything not the client's doing. */
export function checkoutFailure(err: unknown, orderId: string): PublicError {
  const type = typeOf(err);
  let failure: PublicError;
  if (type === "REQUEST_SKIPPED") failure = { name: "GatewayTimeoutError", message: "The request timed out", code: 504, type: "REQUEST_TIMEOUT" };
  else failure = toPublicError(err);
  if (failure.code === 500) {
    failure = { name: "ServiceUnavailableError", message: "The checkout could not be completed, nothing was charged: try again later", code: 503, type: "CHECKOUT_FAILED" };
  }
  if (Array.isArray(failure.data)) {
    // payments names the card's fields as its own `card`; the client sent `payment`.
    failure.data = (failure.data as { field?: string }[]).map((d) => ({ ...d, field: renamedCardField(String(d.field)) }));
  } else {
    failure.data = { ...((failure.data as Record<string, unknown> | undefined) ?? {}), orderId };
  }
  return failure;
}

export const interrupted = (orderId: string): PublicError => ({
  name: "ServiceUnavailableError",
  message: "The checkout was interrupted and rolled back, nothing was charged: try again",
  code: 503,
  type: "CHECKOUT_INTERRUPTED",
  data: { orderId },
});

export const cancelledDuringCheckout = (orderId: string): PublicError => ({
  name: "ConflictError",
  message: "The order was cancelled during its checkout",
  code: 409,
  type: "ORDER_CANCELLED",
  data: { orderId },
});

/** 503 and 504 are worth another try with the same key; anything else is the answer. */
export const isTransientFailure = (failure: PublicError) => failure.code === 503 || failure.code === 504;

/** The error a stored failure is answered with: the same status, type and data. */
export function errorOf(failure: PublicError): Error {
  const err =
    failure.code < 500
      ? new Errors.MoleculerClientError(failure.message, failure.code, failure.type, failure.data)
      : new Errors.MoleculerError(failure.message, failure.code, failure.type, failure.data);
  err.name = failure.name;
  return err;
}

/** What a checkout answers for its order once the saga ended: 201 and the order, or the failure. */
export function outcomeOf(order: OrderDoc): { outcome: Outcome; retryable: boolean } {
  if (order.failure) return { outcome: { status: order.failure.code, body: order.failure }, retryable: isTransientFailure(order.failure) };
  return { outcome: { status: 201, body: publicOrder(order) }, retryable: false };
}
