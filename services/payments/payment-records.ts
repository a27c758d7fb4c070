/**
 * The payment transaction as stored and as answered, the params rules of the
 * payments actions, and the errors a payment answers with.
 *
 * A transaction keeps the brand and last four digits of its card, never the
 * number or the CVC. Answers and events are built from a whitelist of fields,
 * so an internal field (the lock) never leaves the service.
 */
import type { CardBrand } from "../../contracts/card";
import type { DeclineReason } from "./payment-gateway";
import type { PaymentStatus } from "./payment-state";
import { paymentRequired, unavailable } from "../../platform/errors";
import { ORDER_ID_RULE } from "../../contracts/ids";

export interface HistoryEntry {
  status: PaymentStatus;
  at: string;
  reason?: string;
  /** Money moved by this step (captures and refunds). */
  amount?: number;
  /** Internal: the idempotency key of the capture, void or refund that made this step, and the processor's reference. */
  operationKey?: string;
  reference?: string;
}

/** Held by the one operation (capture, void or refund) talking to the processor for this transaction. */
export interface TransactionLock {
  key: string;
  /** Epoch ms after which another operation may take over (the holder crashed). */
  until: number;
}

export interface TransactionDoc {
  id: string;
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  brand: CardBrand;
  last4: string;
  /** The key of the authorization; unique. Captures, voids and refunds keep theirs in payment_operations. */
  idempotencyKey: string;
  gateway: string;
  gatewayRef: string | null;
  captured: number;
  refunded: number;
  declineReason?: DeclineReason;
  history: HistoryEntry[];
  lock: TransactionLock | null;
  createdAt: string;
  updatedAt: string;
}

export interface Transaction {
  id: string;
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  brand: CardBrand;
  last4: string;
  idempotencyKey: string;
  gatewayRef: string | null;
  captured: number;
  refunded: number;
  /** What a refund may still give back. */
  refundable: number;
  declineReason?: DeclineReason;
  history: HistoryEntry[];
  createdAt: string;
  updatedAt: string;
}

export function toTransaction(doc: TransactionDoc): Transaction {
  return {
    id: String(doc.id),
    orderId: doc.orderId,
    userId: doc.userId,
    amount: doc.amount,
    currency: doc.currency,
    status: doc.status,
    brand: doc.brand,
    last4: doc.last4,
    idempotencyKey: doc.idempotencyKey,
    gatewayRef: doc.gatewayRef ?? null,
    captured: doc.captured,
    refunded: doc.refunded,
    refundable: doc.captured - doc.refunded,
    ...(doc.declineReason ? { declineReason: doc.declineReason } : {}),
    history: doc.history.map(({ status, at, reason, amount }) => ({ status, at, ...(reason ? { reason } : {}), ...(amount != null ? { amount } : {}) })),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The card-free facts every payment event carries. */
export function eventFacts(doc: TransactionDoc) {
  return {
    transactionId: String(doc.id),
    orderId: doc.orderId,
    userId: doc.userId,
    amount: doc.amount,
    currency: doc.currency,
    status: doc.status,
    brand: doc.brand,
    last4: doc.last4,
  };
}

const DECLINE_MESSAGES: Record<DeclineReason, string> = {
  card_declined: "The card was declined",
  insufficient_funds: "The card has insufficient funds",
};

export const declined = (reason: DeclineReason, transactionId?: string) =>
  paymentRequired(DECLINE_MESSAGES[reason], "PAYMENT_DECLINED", { reason, ...(transactionId ? { transactionId } : {}) });

/**
 * The processor could not be reached after the retries. Not retryable by the
 * broker: the service has already retried with backoff, and retrying again on
 * top would multiply the load on a processor that is struggling.
 */
export function gatewayUnavailable(operation: string, transactionId?: string) {
  const err = unavailable(`The payment processor is unavailable (${operation}), try again later`, {
    operation,
    ...(transactionId ? { transactionId } : {}),
  });
  err.retryable = false;
  return err;
}

// ---- params -----------------------------------------------------------------

export const TRANSACTION_ID_RULE = { type: "string", min: 1, max: 100 } as const;
/** Printable ASCII, as the gateway accepts in the Idempotency-Key header. */
export const IDEMPOTENCY_KEY_RULE = { type: "string", min: 1, max: 255, pattern: /^[\x21-\x7e]+$/ } as const;
/** Integer minor units; a trillion cents is far above any order. */
export const AMOUNT_RULE = { type: "number", integer: true, positive: true, max: 1_000_000_000_000 } as const;
export const CURRENCY_RULE = { type: "string", pattern: /^[A-Z]{3}$/ } as const;

/** capture, void and refund name the transaction by id or by its order. */
export const TRANSACTION_REF_PARAMS = {
  transactionId: { ...TRANSACTION_ID_RULE, optional: true },
  orderId: { ...ORDER_ID_RULE, optional: true },
  idempotencyKey: IDEMPOTENCY_KEY_RULE,
} as const;
