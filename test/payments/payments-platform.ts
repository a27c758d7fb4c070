/**
 * The payments service on a local broker for the payments suites: no
 * processor latency or backoff unless a suite asks, a recorder of payment
 * events, and helpers to build requests and read refusals.
 */
import { durableEventRecorder, PAYMENT_EVENTS, PAYMENT_SIGNALS, type RecordedEvent } from "../support/durable-events";
import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import PaymentsService, { type PaymentsSettings } from "../../services/payments/payments.service";
import type { PaymentGateway, SettleRequest } from "../../services/payments/payment-gateway";
import { TransientGatewayError } from "../../services/payments/payment-gateway";
import { SimulatedGateway, TEST_CARDS } from "../../services/payments/simulated-gateway";
import type { Transaction } from "../../services/payments/payment-records";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";

export { TEST_CARDS };
export type { Transaction };

export interface SeenEvent {
  event: string;
  payload: Record<string, any>;
}

/** Every payment.* event delivered, in order: the durable one through the bus, the signals as Moleculer events. */
export function eventRecorder(seen: SeenEvent[]): ServiceSchema {
  const signals = Object.fromEntries(PAYMENT_SIGNALS.map((event) => [event, (ctx: Context<Record<string, any>>) => void seen.push({ event, payload: ctx.params })]));
  return durableEventRecorder("payment-events", PAYMENT_EVENTS, seen as RecordedEvent[], { events: signals });
}

export function paymentsService(opts: { settings?: Partial<PaymentsSettings>; gateway?: PaymentGateway } = {}): ServiceSchema {
  const { gateway } = opts;
  return {
    name: "payments",
    mixins: [PaymentsService],
    settings: { gatewayLatencyMs: 0, gatewayRetries: 2, gatewayRetryDelayMs: 1, gatewayMaxRetryDelayMs: 5, ...opts.settings },
    ...(gateway ? { methods: { createGateway: () => gateway } } : {}),
  } as ServiceSchema;
}

export async function startPayments(opts: { settings?: Partial<PaymentsSettings>; gateway?: PaymentGateway } = {}) {
  const seen: SeenEvent[] = [];
  const platform: LocalPlatform = await startLocalPlatform({ services: [paymentsService(opts), eventRecorder(seen)] });
  return { platform, broker: platform.broker, seen, gateway: gatewayOf(platform.broker) };
}

/** The records of the payments service's idempotency keys (payment_operations) under `key`. */
export function operationsOf(broker: ServiceBroker, key: string): Promise<Record<string, unknown>[]> {
  const store = (broker.getLocalService("payments") as unknown as { operationStore: { find(params: { query: Record<string, unknown> }): Promise<Record<string, unknown>[]> } }).operationStore;
  return store.find({ query: { key } });
}

export function gatewayOf(broker: ServiceBroker): SimulatedGateway {
  return (broker.getLocalService("payments") as unknown as { gateway: SimulatedGateway }).gateway;
}

/**
 * The simulated processor, except that the first `failures[op]` calls of an
 * operation fail transiently: a processor that recovers.
 */
export class FlakyGateway extends SimulatedGateway {
  constructor(private readonly failures: Partial<Record<"authorize" | "charge" | "capture" | "void" | "refund", number>>) {
    super({ latencyMs: 0 });
  }

  private trip(op: "authorize" | "charge" | "capture" | "void" | "refund"): void {
    const left = this.failures[op] ?? 0;
    if (left > 0) {
      this.failures[op] = left - 1;
      throw new TransientGatewayError(`${op} is flaky`);
    }
  }

  override async authorize(req: Parameters<SimulatedGateway["authorize"]>[0]) {
    this.trip("authorize");
    return super.authorize(req);
  }

  override async charge(req: Parameters<SimulatedGateway["charge"]>[0]) {
    this.trip("charge");
    return super.charge(req);
  }

  override async capture(req: SettleRequest) {
    this.trip("capture");
    return super.capture(req);
  }
}

let counter = 0;
/** A fresh order id and key per call, so tests never share them. */
export function unique(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export const futureYear = () => new Date().getUTCFullYear() + 3;

export function card(number: string = TEST_CARDS.approved, overrides: Record<string, unknown> = {}) {
  return { number, expMonth: 12, expYear: futureYear(), cvc: "123", ...overrides };
}

export function authorizeParams(overrides: Record<string, unknown> = {}) {
  return { orderId: unique("order"), userId: "user-1", amount: 2599, currency: "USD", card: card(), idempotencyKey: unique("auth"), ...overrides };
}

export interface Refusal {
  code: number;
  type: string;
  data: any;
  retryable?: boolean;
  message: string;
}

/** The error a call was refused with; fails the test when it succeeds. */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (err) {
    const e = err as Refusal;
    return { code: e.code, type: e.type, data: e.data, retryable: e.retryable, message: e.message };
  }
  throw new Error("expected the call to be refused");
}

export const fieldsOf = (r: Refusal) => (r.data as { field: string }[]).map((d) => d.field);
