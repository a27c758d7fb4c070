/**
 * services/payments/payment-operations.ts on an in-memory NeDB collection: who owns an
 * idempotency key, what the others with it get, and how an operation whose
 * owner failed or vanished is taken over.
 */
import { createAdapter, type DbAdapter } from "../../platform/db/db-adapter";
import { fingerprintOf, OPERATION_INDEXES, OperationLog } from "../../services/payments/payment-operations";

let store: DbAdapter;
let clock = Date.UTC(2030, 0, 1);
const log = (pendingWaitMs = 50) => new OperationLog({ store, leaseMs: 1000, pendingWaitMs, pollMs: 5, now: () => clock });

beforeEach(async () => {
  store = createAdapter({ collection: "payment_operations", database: "payments" });
  store.init({}, {});
  await store.connect();
  await store.ensureIndexes(OPERATION_INDEXES);
});

afterEach(async () => {
  await store.disconnect();
});

const FP = fingerprintOf({ orderId: "o-1", amount: 100 });

describe("fingerprints", () => {
  it("do not depend on the order of the fields, and tell other values apart", () => {
    expect(fingerprintOf({ a: 1, b: "x" })).toBe(fingerprintOf({ b: "x", a: 1 }));
    expect(fingerprintOf({ a: 1, b: undefined })).toBe(fingerprintOf({ a: 1, b: null }));
    expect(fingerprintOf({ a: 1 })).not.toBe(fingerprintOf({ a: 2 }));
  });
});

describe("claiming a key", () => {
  it("gives the operation to the first caller only", async () => {
    const claims = await Promise.allSettled(Array.from({ length: 5 }, () => log().claim("k", "capture", FP, "tx-1")));
    expect(claims.filter((c) => c.status === "fulfilled" && c.value.run)).toHaveLength(1);
    // The others waited for the pending one and gave up with 409.
    for (const c of claims.filter((c): c is PromiseRejectedResult => c.status === "rejected")) {
      expect(c.reason).toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_IN_PROGRESS" });
    }
  });

  it("answers a finished operation from its record", async () => {
    const first = await log().claim("k", "capture", FP, "tx-1");
    await log().succeed(first.op, "tx-1");
    const again = await log().claim("k", "capture", FP, "tx-1");
    expect(again).toMatchObject({ run: false, op: { state: "succeeded", transactionId: "tx-1" } });
  });

  it("lets a waiting caller have the outcome as soon as the owner records it", async () => {
    const owner = await log(2000).claim("k", "capture", FP, "tx-1");
    const waiting = log(2000).claim("k", "capture", FP, "tx-1");
    await log().succeed(owner.op, "tx-1");
    await expect(waiting).resolves.toMatchObject({ run: false });
  });

  it("throws a recorded decline again", async () => {
    const first = await log().claim("k", "authorize", FP);
    await log().reject(first.op, "tx-1", "insufficient_funds");
    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject({ code: 402, type: "PAYMENT_DECLINED", data: { reason: "insufficient_funds", transactionId: "tx-1" } });
  });

  it("refuses the key for another request or another kind of operation", async () => {
    await log().claim("k", "refund", FP, "tx-1");
    await expect(log().claim("k", "refund", fingerprintOf({ orderId: "o-1", amount: 99 }))).rejects.toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_REUSED" });
    await expect(log().claim("k", "capture", FP)).rejects.toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_REUSED" });
  });
});

describe("taking over", () => {
  it("a failed operation: the next caller runs it again", async () => {
    const first = await log().claim("k", "capture", FP, "tx-1");
    await log().fail(first.op, "tx-1");
    const retry = await log().claim("k", "capture", FP, "tx-1");
    expect(retry).toMatchObject({ run: true, op: { state: "pending" } });
  });

  it("a pending operation whose owner vanished, once its lease ran out; the old owner's outcome is then ignored", async () => {
    const first = await log().claim("k", "capture", FP, "tx-1");
    clock += 1001;
    const second = await log().claim("k", "capture", FP, "tx-1");
    expect(second.run).toBe(true);
    expect(await log().succeed(first.op, "tx-1")).toBe(false);
    expect(await log().succeed(second.op, "tx-1")).toBe(true);
  });

  it("an operation whose owner threw: failOnError marks it failed, an outcome already recorded stands", async () => {
    const first = await log().claim("k", "capture", FP, "tx-1");
    await expect(log().failOnError(first.op, async () => Promise.reject(new Error("database gone")))).rejects.toThrow("database gone");
    expect(await store.findOne({ key: "k" })).toMatchObject({ state: "failed" });

    const other = await log().claim("k2", "capture", FP, "tx-1");
    await expect(
      log().failOnError(other.op, async () => {
        await log().succeed(other.op, "tx-1");
        throw new Error("after the outcome");
      }),
    ).rejects.toThrow();
    expect(await store.findOne({ key: "k2" })).toMatchObject({ state: "succeeded" });
  });

  it("an abandoned operation leaves the key unused", async () => {
    const first = await log().claim("k", "capture", FP, "tx-1");
    await log().abandon(first.op);
    expect(await store.findOne({ key: "k" })).toBeNull();
    expect((await log().claim("k", "void", FP, "tx-1")).run).toBe(true);
  });
});

describe("pruning", () => {
  it("removes the records of operations that ended before the cut-off, never a pending one", async () => {
    const ops = log();
    const done = await ops.claim("done", "charge", FP);
    await ops.succeed(done.op, "tx-1");
    const failed = await ops.claim("failed", "capture", FP, "tx-2");
    await ops.fail(failed.op);
    await ops.claim("running", "capture", FP, "tx-3");
    clock += 1000;
    const recent = await ops.claim("recent", "charge", FP);
    await ops.succeed(recent.op, "tx-4");

    expect(await ops.prune(clock - 500)).toBe(2);
    const left = (await store.find({ query: {} })) as { key: string }[];
    expect(left.map((doc) => doc.key).sort()).toEqual(["recent", "running"]);
  });
});
