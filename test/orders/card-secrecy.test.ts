/**
 * A checkout's card number and CVC never reach an order, an idempotency
 * record, an event, a log line or a trace span. The whole shop runs on a
 * broker that logs everything (trace level) into memory and exports every
 * span; after checkouts of every kind (approved, declined, failing, refused
 * as invalid) all of it is searched for the numbers and codes that were sent.
 */
import { durableEventRecorder, ORDER_EVENTS, type RecordedEvent } from "../support/durable-events";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { Loggers, ServiceBroker, type Context, type ServiceSchema, type TracerOptions } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import type { DbAdapter } from "../../platform/db/db-adapter";
import ApiService from "../../services/api/api.service";
import UsersService from "../../services/users/users.service";
import ShippingService from "../../services/shipping/shipping.service";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { productsService, productBody } from "../products/catalog-platform";
import { cartService } from "../cart/cart-platform";
import { paymentsService } from "../payments/payments-platform";
import { ADDRESS, futureYear, newKey, ordersService, TEST_CARDS } from "./orders-platform";

const lines: string[] = [];

/** Keeps every line of every level, objects expanded as deep as they go. */
class CapturingLogger extends Loggers.Base<{ level?: "trace" }> {
  override getLogHandler(bindings: { mod?: string }) {
    return (level: string, args: unknown[]) => {
      lines.push(`${level} ${bindings.mod ?? ""} ${args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: null }))).join(" ")}`);
    };
  }
}

const spans: unknown[] = [];
const Collector: ServiceSchema = {
  name: "collector",
  events: {
    "$tracing.spans"(ctx: Context<unknown[]>) {
      spans.push(...ctx.params);
    },
  },
};
const recordedOrderEvents: RecordedEvent[] = [];
const OrderEventRecorder = durableEventRecorder("order-event-recorder", ORDER_EVENTS, recordedOrderEvents);

const CVC = "739";
const BAD_CVC = "98765";
const NUMBERS = [...Object.values(TEST_CARDS), "4242424242424241"];

/**
 * Whether `text` holds `code` as a value of its own: three digits also occur
 * inside ids, timestamps and other numbers, which are no leak; a code on its
 * own (quoted, or between spaces and punctuation) is.
 */
const hasCode = (text: string, code: string) => new RegExp(`(?<![\\w.:-])${code}(?![\\w.:-])`).test(text);

function expectNoCardSecret(text: string) {
  for (const number of NUMBERS) expect(text).not.toContain(number);
  expect(hasCode(text, CVC)).toBe(false);
  expect(hasCode(text, BAD_CVC)).toBe(false);
}

let broker: ServiceBroker;
const dumps: string[] = [];

beforeAll(async () => {
  const options = brokerOptions({ ...loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: "0" }), transporter: undefined, nodeID: undefined });
  broker = new ServiceBroker({
    ...options,
    nodeID: `orders-secrecy-${process.pid}`,
    logger: new CapturingLogger({ level: "trace" }),
    tracing: { ...(options.tracing as TracerOptions), enabled: true, exporter: [{ type: "Event", options: { interval: 0 } }] },
  });
  for (const schema of [UsersService, productsService(), cartService(), paymentsService({ settings: { gatewayRetries: 1 } }), { name: "shipping", mixins: [ShippingService] } as ServiceSchema, ordersService(), Collector, OrderEventRecorder]) {
    broker.createService(schema);
  }
  const gateway = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ip: "127.0.0.1" } } as ServiceSchema);
  await broker.start();
  const web = gateway as unknown as { server: { address(): AddressInfo }; aliases: { action?: string }[] };
  await waitUntil(() => web.aliases.some((a) => a.action === "orders.checkout"), { description: "the checkout route", timeoutMs: 10_000, intervalMs: 20 });
  const http = api(`http://127.0.0.1:${web.server.address().port}/api`);

  const { token, user } = await broker.call<{ token: string; user: { id: string } }, Record<string, unknown>>("users.register", { email: `secrecy-${process.pid}@example.com`, password: "correct horse battery", name: "S" });
  const product = await broker.call<{ id: string }, Record<string, unknown>>("products.create", productBody({ stock: 100 }));
  const checkout = async (cardNumber: string, cvc = CVC) => {
    await http.post("/cart/items", { productId: product.id, quantity: 1 }, { token });
    const body = { shippingAddress: ADDRESS, payment: { cardNumber, expMonth: 12, expYear: futureYear(), cvc } };
    return http.post("/orders", body, { token, headers: { "Idempotency-Key": newKey() } });
  };
  const answers = [
    await checkout(TEST_CARDS.approved),
    await checkout(TEST_CARDS.declined),
    await checkout(TEST_CARDS.insufficientFunds),
    await checkout(TEST_CARDS.gatewayError),
    await checkout("4242424242424241"),
    await checkout(TEST_CARDS.approved, BAD_CVC),
  ];
  expect(answers.map((a) => a.status)).toEqual([201, 402, 402, 503, 422, 422]);
  dumps.push(...answers.map((a) => a.text));

  // Spans and events are delivered asynchronously: wait for those of the last checkout.
  await waitUntil(() => recordedOrderEvents.length >= 4 && JSON.stringify(spans).includes("orders.checkout"), { description: "the events and spans", timeoutMs: 5000, intervalMs: 20 });
  const orders = broker.getLocalService("orders") as unknown as { adapter: DbAdapter; keyStore: DbAdapter };
  dumps.push(JSON.stringify(await orders.adapter.find({ query: { userId: user.id } })));
  dumps.push(JSON.stringify(await orders.keyStore.find({ query: {} })));
});

afterAll(async () => {
  await broker?.stop();
});

describe("a checkout's card", () => {
  it("is searched for as it would leak: the codes sent are found by the search when they are written out", () => {
    expect(hasCode(JSON.stringify({ card: { cvc: CVC } }), CVC)).toBe(true);
    expect(hasCode(inspect({ cvc: CVC }), CVC)).toBe(true);
    expect(hasCode(`cvc=${BAD_CVC} rejected`, BAD_CVC)).toBe(true);
    expect(hasCode(`id 5f3a${CVC}b2 at 2026-12-07T22:30:01.${CVC}Z`, CVC)).toBe(false);
  });

  it("is not in any order or idempotency record, nor in any answer", () => {
    const stored = dumps.join("\n");
    expect(stored).toContain("4242"); // the last four digits are kept, as the order's payment shows them
    expectNoCardSecret(stored);
  });

  it("is not in any order event", () => {
    const text = JSON.stringify(recordedOrderEvents);
    expect(text).toContain("orderId");
    expectNoCardSecret(text);
  });

  it("is not in any log line", () => {
    const text = lines.join("\n");
    expect(text).toContain("orders.checkout");
    expectNoCardSecret(text);
  });

  it("is not in any trace span, which shows only the checkout's safe params", () => {
    const text = JSON.stringify(spans);
    expectNoCardSecret(text);
    const checkoutSpans = (spans as { name?: string; tags?: { params?: Record<string, unknown> } }[]).filter((s) => s.name === "action 'orders.checkout'");
    expect(checkoutSpans.length).toBeGreaterThan(0);
    for (const span of checkoutSpans) for (const param of Object.keys(span.tags?.params ?? {})) expect(["shippingMethod"]).toContain(param);
  });
});
