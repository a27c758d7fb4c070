/**
 * The payments service on the MongoDB path (MONGO_URI), as it runs in a
 * cluster: a real Mongo when MONGO_URI is set for the run, else the CongoDB
 * emulator. The emulator enforces no unique index, so concurrent calls with
 * one key are checked only on a real Mongo (and on NeDB, in authorize.test.ts).
 */
import { loadWithEnv } from "../support/load-with-env";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { startMongo, type TestMongo } from "../support/mongo";
import { authorizeParams, card, refusal, TEST_CARDS, unique, type Transaction } from "./payments-platform";

describe("payments on MongoDB", () => {
  let mongo: TestMongo;
  let broker: ServiceBroker;

  beforeAll(async () => {
    mongo = await startMongo();
    const PaymentsService = loadWithEnv({ MONGO_URI: mongo.uri }, () => require("../../services/payments/payments.service").default as ServiceSchema);

    broker = new ServiceBroker({ logger: false });
    broker.createService({ name: "payments", mixins: [PaymentsService], settings: { gatewayLatencyMs: 5, gatewayRetries: 1, gatewayRetryDelayMs: 1 } } as ServiceSchema);
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop();
    await mongo?.stop();
  });

  const call = <T = Transaction>(action: string, params: Record<string, unknown>) => broker.call<T, Record<string, unknown>>(`payments.${action}`, params);

  it("stores on Mongo", () => {
    expect(broker.getLocalService("payments")?.metadata).toMatchObject({ storage: "mongo" });
  });

  it("authorizes, captures, refunds in parts and answers keys again", async () => {
    const params = authorizeParams({ amount: 1000 });
    const tx = await call("authorize", params);
    expect(tx).toMatchObject({ status: "authorized", last4: "4242" });
    expect(tx.id).toMatch(/^[0-9a-f]{24}$/);
    expect(await call("authorize", params)).toEqual(tx);

    const captureKey = unique("capture");
    expect(await call("capture", { orderId: tx.orderId, idempotencyKey: captureKey })).toMatchObject({ status: "captured", captured: 1000 });
    expect(await call("capture", { transactionId: tx.id, idempotencyKey: captureKey })).toMatchObject({ status: "captured" });

    expect(await call("refund", { transactionId: tx.id, idempotencyKey: unique("refund"), amount: 400 })).toMatchObject({ status: "partially_refunded", refunded: 400 });
    expect(await refusal(call("refund", { transactionId: tx.id, idempotencyKey: unique("refund"), amount: 700 }))).toMatchObject({ code: 409, type: "REFUND_EXCEEDS_CAPTURED" });
    expect(await call("refund", { transactionId: tx.id, idempotencyKey: unique("refund") })).toMatchObject({ status: "refunded", refunded: 1000 });
    expect(await call("get", { id: tx.id })).toMatchObject({ status: "refunded" });
  });

  it("voids, and refuses a capture after the void", async () => {
    const tx = await call("authorize", authorizeParams());
    expect(await call("void", { transactionId: tx.id, idempotencyKey: unique("void") })).toMatchObject({ status: "voided" });
    expect(await refusal(call("capture", { transactionId: tx.id, idempotencyKey: unique("capture") }))).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
  });

  it("stores declines and failures, and finds the order's payment past them", async () => {
    const orderId = unique("order");
    expect(await refusal(call("authorize", authorizeParams({ orderId, card: card(TEST_CARDS.insufficientFunds) })))).toMatchObject({ code: 402 });
    expect(await refusal(call("authorize", authorizeParams({ orderId, card: card(TEST_CARDS.gatewayError) })))).toMatchObject({ code: 503 });
    const good = await call("authorize", authorizeParams({ orderId }));
    expect(await call("capture", { orderId, idempotencyKey: unique("capture") })).toMatchObject({ id: good.id, status: "captured" });
    const all = await call<Transaction[]>("listByOrder", { orderId });
    expect(all.map((t) => t.status).sort()).toEqual(["captured", "declined", "failed"]);
  });

  it("serializes different refunds of one transaction", async () => {
    const tx = await call("authorize", authorizeParams({ amount: 1000 }));
    await call("capture", { transactionId: tx.id, idempotencyKey: unique("capture") });
    const results = await Promise.allSettled([1, 2, 3].map(() => call("refund", { transactionId: tx.id, idempotencyKey: unique("refund"), amount: 400 })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(await call("get", { id: tx.id })).toMatchObject({ refunded: 800 });
  });

  // Skipped, visibly, on the emulator: it enforces no unique index, so the calls there would make ten transactions.
  (process.env.MONGO_URI ? it : it.skip)("makes one transaction of 10 identical calls at once (a real Mongo only: the emulator has no unique index)", async () => {
    const params = authorizeParams();
    const results = await Promise.all(Array.from({ length: 10 }, () => call("authorize", params)));
    expect(new Set(results.map((t) => t.id)).size).toBe(1);
    expect(await call<Transaction[]>("listByOrder", { orderId: params.orderId })).toHaveLength(1);
  });
});
