/**
 * The built-in payment processor: no network, answers by docs/api.md's test
 * cards. Like a real processor it takes time (PAYMENT_GATEWAY_LATENCY_MS)
 * and answers a repeated idempotency key with its first answer.
 *
 * Card checks a processor would also make (Luhn, expiry) are the service's
 * (contracts/card.ts), before any processor is called. Any other number that
 * passes them is approved, as in a processor's test mode.
 */
import type { AuthorizeRequest, AuthorizeResult, GatewayOptions, GatewayReceipt, PaymentGateway, SettleRequest } from "./payment-gateway";
import { TransientGatewayError } from "./payment-gateway";
import { randomHex } from "../../platform/random-hex";

export const TEST_CARDS = {
  approved: "4242424242424242",
  declined: "4000000000000002",
  insufficientFunds: "4000000000009995",
  gatewayError: "4000000000000119",
} as const;

/** Keys remembered per process; old ones are forgotten first (a simulation, not a ledger). */
const REMEMBERED_KEYS = 10_000;

type Operation = "authorize" | "charge" | "capture" | "void" | "refund";

const reference = (prefix: string) => `${prefix}_${randomHex(10)}`;

export class SimulatedGateway implements PaymentGateway {
  readonly name = "simulated";
  /** Calls received, including repeats of a key: what tests count. */
  readonly calls: Record<Operation, number> = { authorize: 0, charge: 0, capture: 0, void: 0, refund: 0 };
  /** Holds and charges actually placed (approvals not answered from a key). */
  charges = 0;
  private readonly answers = new Map<string, AuthorizeResult | GatewayReceipt>();
  private readonly latencyMs: number;

  constructor(opts: GatewayOptions) {
    this.latencyMs = opts.latencyMs;
  }

  authorize(req: AuthorizeRequest): Promise<AuthorizeResult> {
    return this.approve("authorize", req);
  }

  charge(req: AuthorizeRequest): Promise<AuthorizeResult> {
    return this.approve("charge", req);
  }

  private async approve(operation: "authorize" | "charge", req: AuthorizeRequest): Promise<AuthorizeResult> {
    this.calls[operation]++;
    await this.processing();
    const earlier = this.answers.get(`${operation}:${req.idempotencyKey}`) as AuthorizeResult | undefined;
    if (earlier) return earlier;

    let result: AuthorizeResult;
    switch (req.card.number) {
      case TEST_CARDS.declined:
        result = { approved: false, reason: "card_declined" };
        break;
      case TEST_CARDS.insufficientFunds:
        result = { approved: false, reason: "insufficient_funds" };
        break;
      case TEST_CARDS.gatewayError:
        // Nothing remembered: a transient failure is not an answer.
        throw new TransientGatewayError("Simulated processor error, try again");
      default:
        result = { approved: true, gatewayRef: reference(operation === "charge" ? "sim_charge" : "sim_auth") };
        this.charges++;
    }
    this.remember(`${operation}:${req.idempotencyKey}`, result);
    return result;
  }

  capture(req: SettleRequest): Promise<GatewayReceipt> {
    return this.settle("capture", req);
  }

  void(req: SettleRequest): Promise<GatewayReceipt> {
    return this.settle("void", req);
  }

  refund(req: SettleRequest): Promise<GatewayReceipt> {
    return this.settle("refund", req);
  }

  private async settle(operation: Exclude<Operation, "authorize" | "charge">, req: SettleRequest): Promise<GatewayReceipt> {
    this.calls[operation]++;
    await this.processing();
    const key = `${operation}:${req.idempotencyKey}`;
    const earlier = this.answers.get(key) as GatewayReceipt | undefined;
    if (earlier) return earlier;
    const receipt = { reference: reference(`sim_${operation}`) };
    this.remember(key, receipt);
    return receipt;
  }

  private processing(): Promise<void> {
    return this.latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.latencyMs)) : Promise.resolve();
  }

  private remember(key: string, answer: AuthorizeResult | GatewayReceipt): void {
    this.answers.set(key, answer);
    if (this.answers.size > REMEMBERED_KEYS) this.answers.delete(this.answers.keys().next().value as string);
  }
}
