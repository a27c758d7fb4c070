/**
 * What the payments service asks of a payment processor. The service talks
 * only to this interface; a processor is one class implementing it plus one
 * line in services/payments/payment-gateways.ts, chosen by PAYMENT_GATEWAY.
 *
 * Every call carries the idempotency key of the operation. A processor that
 * honours keys (as real ones do) makes a repeated call after a crash or a
 * timeout harmless: the service may re-drive an operation whose outcome it
 * did not get to record, and the processor answers the first outcome.
 */
import type { CardInput } from "../../contracts/card";

export type DeclineReason = "card_declined" | "insufficient_funds";

export interface AuthorizeRequest {
  orderId: string;
  /** Integer minor units. */
  amount: number;
  currency: string;
  /** The full card: only ever in memory, for the length of this call. */
  card: CardInput;
  idempotencyKey: string;
}

export type AuthorizeResult = { approved: true; gatewayRef: string } | { approved: false; reason: DeclineReason };

export interface SettleRequest {
  /** The processor's reference of the authorization. */
  gatewayRef: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
}

export interface GatewayReceipt {
  /** The processor's reference of this capture, void or refund. */
  reference: string;
}

export interface PaymentGateway {
  readonly name: string;
  /** Holds the amount on the card; a decline is an answer, not an error. */
  authorize(req: AuthorizeRequest): Promise<AuthorizeResult>;
  /**
   * Authorizes and captures in one call (a processor's automatic capture):
   * approved means the amount is taken; undone by a refund, not a void.
   */
  charge(req: AuthorizeRequest): Promise<AuthorizeResult>;
  capture(req: SettleRequest): Promise<GatewayReceipt>;
  void(req: SettleRequest): Promise<GatewayReceipt>;
  refund(req: SettleRequest): Promise<GatewayReceipt>;
}

export interface GatewayOptions {
  /** Simulated processing time of each call. */
  latencyMs: number;
}

export type GatewayFactory = (opts: GatewayOptions) => PaymentGateway;

/**
 * The processor could not answer this time (timeout, 5xx, network): the same
 * call may succeed later. Every other error a gateway throws is final for
 * the call and is not retried.
 */
export class TransientGatewayError extends Error {
  readonly transient = true;

  constructor(message: string) {
    super(message);
    this.name = "TransientGatewayError";
  }
}

export function isTransientGatewayError(err: unknown): boolean {
  return err instanceof TransientGatewayError || (err as { transient?: unknown } | null)?.transient === true;
}
