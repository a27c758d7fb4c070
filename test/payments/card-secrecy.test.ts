/**
 * The card number and CVC are never stored, logged, traced or put in an
 * event. A broker logs everything (trace level) into memory and exports
 * every span as an event; after payments of every kind (approved, declined,
 * failing, refused as invalid) the logs, spans, events and both collections
 * are searched for the numbers and codes that were sent.
 */
import { inspect } from "node:util";
import { Loggers, ServiceBroker, type Context, type TracerOptions } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { waitUntil } from "../support/wait-until";
import { authorizeParams, eventRecorder, paymentsService, refusal, TEST_CARDS, type SeenEvent, type Transaction } from "./payments-platform";

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
const SpanCollector = {
  name: "span-collector",
  events: {
    "$tracing.spans"(ctx: Context<unknown[]>) {
      spans.push(...ctx.params);
    },
  },
};

const VISA_CVC = "739";
const AMEX_CVC = "7391";
const BAD_CVC = "98765";
const AMEX = "378282246310005";
const NUMBERS = [...Object.values(TEST_CARDS), AMEX, "4242424242424241", "4242424242424243"];

let broker: ServiceBroker;
const seen: SeenEvent[] = [];

const card = (number: string, cvc = VISA_CVC) => ({ number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc });
const authorize = (c: unknown) => broker.call<Transaction, Record<string, unknown>>("payments.authorize", authorizeParams({ card: c }));

beforeAll(async () => {
  const options = brokerOptions({ ...loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: "0" }), transporter: undefined, nodeID: undefined });
  broker = new ServiceBroker({
    ...options,
    nodeID: `secrecy-${process.pid}`,
    logger: new CapturingLogger({ level: "trace" }),
    tracing: { ...(options.tracing as TracerOptions), enabled: true, exporter: [{ type: "Event", options: { interval: 0 } }] },
  });
  broker.createService(paymentsService({ settings: { gatewayRetries: 1 } }));
  broker.createService(eventRecorder(seen));
  broker.createService(SpanCollector);
  await broker.start();

  const approved = await authorize(card(TEST_CARDS.approved));
  await broker.call("payments.capture", { transactionId: approved.id, idempotencyKey: `cap-${approved.id}` });
  await broker.call("payments.refund", { transactionId: approved.id, idempotencyKey: `ref-${approved.id}`, amount: 100 });
  await authorize(card(AMEX, AMEX_CVC));
  await refusal(authorize(card(TEST_CARDS.declined)));
  await refusal(authorize(card(TEST_CARDS.insufficientFunds)));
  await refusal(authorize(card(TEST_CARDS.gatewayError)));
  await refusal(authorize(card("4242424242424241")));
  await refusal(authorize(card("4242424242424243x", BAD_CVC)));
  await refusal(authorize(card(TEST_CARDS.approved, BAD_CVC)));
  await refusal(authorize(TEST_CARDS.approved));
  await refusal(authorize({ ...card(TEST_CARDS.approved), expYear: 1999 }));
  // Events and spans are delivered asynchronously: wait for the last of each.
  const lastAuthorize = authorizeParams().orderId;
  await broker.call("payments.listByOrder", { orderId: lastAuthorize });
  await waitUntil(() => seen.filter((s) => s.event === "payment.failed").length >= 3 && spans.some((span) => JSON.stringify(span).includes(lastAuthorize)), {
    description: "the payment events and the spans of every call",
    timeoutMs: 5000,
    intervalMs: 10,
  });
});

afterAll(async () => {
  await broker?.stop();
});

/** Nothing in `text` looks like a card number or a CVC that was sent. */
function expectNoCardData(text: string) {
  for (const number of NUMBERS) expect(text).not.toContain(number);
  for (const cvc of [VISA_CVC, AMEX_CVC, BAD_CVC]) expect(text).not.toMatch(new RegExp(`['"\`]${cvc}['"\`]`));
  expect(text).not.toMatch(/\bcvc['"]?\s*:/);
  expect(text).not.toMatch(/\bcard['"]?\s*:/);
}

describe("card data", () => {
  it("is not in any log line, debug and trace included", () => {
    expect(lines.some((line) => line.includes("payments.authorize"))).toBe(true);
    expect(lines.some((line) => line.includes("Parameters validation error"))).toBe(true);
    expectNoCardData(lines.join("\n"));
  });

  it("is not in any trace span, although the other params are", () => {
    const authorizeSpans = spans.filter((span) => (span as { name?: string }).name === "action 'payments.authorize'");
    expect(authorizeSpans.length).toBeGreaterThan(5);
    expect(JSON.stringify(authorizeSpans)).toContain("orderId");
    expectNoCardData(JSON.stringify(spans));
  });

  it("is not in any event: brand and last four only", () => {
    expect(seen.map((s) => s.event)).toEqual(expect.arrayContaining(["payment.authorized", "payment.captured", "payment.refunded", "payment.failed"]));
    expect(seen.find((s) => s.event === "payment.authorized")?.payload).toMatchObject({ brand: "visa", last4: "4242" });
    expectNoCardData(JSON.stringify(seen));
  });

  it("is not in the stored transactions or operations", async () => {
    const service = broker.getLocalService("payments") as unknown as { adapter: DbAdapter; operationStore: DbAdapter };
    const transactions = await service.adapter.find({});
    const operations = await service.operationStore.find({});
    expect(transactions.length).toBeGreaterThanOrEqual(5);
    expect(operations.length).toBeGreaterThanOrEqual(5);
    expect(transactions.map((t) => t.last4)).toEqual(expect.arrayContaining(["4242", "0005", "0002", "9995", "0119"]));
    expectNoCardData(JSON.stringify({ transactions, operations }));
  });
});
