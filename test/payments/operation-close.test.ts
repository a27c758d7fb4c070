/**
 * OperationLog.close() of services/payments/payment-operations.ts on an in-memory NeDB
 * collection: a checkout that gave up on an operation calls it off for good,
 * so a call with its key that is still on its way does nothing when it
 * arrives; an operation that ran or runs is answered as it stands.
 */
import { createAdapter, type DbAdapter } from "../../platform/db/db-adapter";
import { fingerprintOf, OPERATION_INDEXES, OperationLog, type OperationDoc } from "../../services/payments/payment-operations";

let store: DbAdapter;
let clock = Date.UTC(2030, 0, 1);
const LEASE_MS = 1000;
const log = () => new OperationLog({ store, leaseMs: LEASE_MS, pendingWaitMs: 50, pollMs: 5, now: () => clock });
const recordOf = async (key: string) => (await store.findOne({ key })) as OperationDoc | null;

const FP = fingerprintOf({ orderId: "o-1", amount: 100 });
const OPERATION_CLOSED = { code: 409, type: "OPERATION_CLOSED", data: { field: "idempotencyKey" } };

beforeEach(async () => {
  store = createAdapter({ collection: "payment_operations", database: "payments" });
  store.init({}, {});
  await store.connect();
  await store.ensureIndexes(OPERATION_INDEXES);
});

afterEach(async () => {
  await store.disconnect();
});

describe("closing a key no call has used yet", () => {
  it("records the key closed, and an authorize that arrives later with it is refused with 409 OPERATION_CLOSED and takes nothing", async () => {
    expect(await log().close("k", "authorize")).toMatchObject({ key: "k", kind: "authorize", state: "closed" });

    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject(OPERATION_CLOSED);
    expect(await store.count({ query: { key: "k" } })).toBe(1);
    expect(await recordOf("k")).toMatchObject({ state: "closed" });
  });

  it("is refused every time, also after the other callers' leases would have run out", async () => {
    await log().close("k", "authorize");
    clock += 10 * LEASE_MS;
    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject(OPERATION_CLOSED);
    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject(OPERATION_CLOSED);
    expect(await recordOf("k")).toMatchObject({ state: "closed" });
  });

  it("answers closed again when closed a second time", async () => {
    const first = await log().close("k", "authorize");
    const second = await log().close("k", "authorize");
    expect(second).toMatchObject({ _id: first._id, state: "closed" });
    expect(await store.count({ query: { key: "k" } })).toBe(1);
  });

  it("still treats the key as used by another kind of operation: a capture with it is a reuse, not a closed call", async () => {
    await log().close("k", "authorize");
    await expect(log().claim("k", "capture", FP, "tx-1")).rejects.toMatchObject({ code: 409, type: "IDEMPOTENCY_KEY_REUSED" });
  });
});

describe("closing a key whose operation ran or runs", () => {
  it("answers a running operation (lease still valid) as pending and leaves it to its owner", async () => {
    const owner = await log().claim("k", "authorize", FP);
    expect(await log().close("k", "authorize")).toMatchObject({ _id: owner.op._id, state: "pending" });
    expect(await log().succeed(owner.op, "tx-1")).toBe(true);
    expect(await recordOf("k")).toMatchObject({ state: "succeeded", transactionId: "tx-1" });
  });

  it("answers a succeeded operation as it ended, and its key still replays it", async () => {
    const owner = await log().claim("k", "authorize", FP);
    await log().succeed(owner.op, "tx-1");
    expect(await log().close("k", "authorize")).toMatchObject({ state: "succeeded", transactionId: "tx-1" });
    expect(await log().claim("k", "authorize", FP)).toMatchObject({ run: false, op: { state: "succeeded", transactionId: "tx-1" } });
  });

  it("answers a declined operation as it ended, and its key still gives the same 402", async () => {
    const owner = await log().claim("k", "authorize", FP);
    await log().reject(owner.op, "tx-1", "insufficient_funds");
    expect(await log().close("k", "authorize")).toMatchObject({ state: "rejected", declineReason: "insufficient_funds" });
    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject({ code: 402, data: { reason: "insufficient_funds" } });
  });

  it("closes a failed operation (the processor was unreachable): the next call with the key is refused instead of running it again", async () => {
    const owner = await log().claim("k", "authorize", FP);
    await log().fail(owner.op, "tx-1");
    expect(await log().close("k", "authorize")).toMatchObject({ _id: owner.op._id, state: "closed", transactionId: "tx-1" });
    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject(OPERATION_CLOSED);
  });

  it("takes over a running operation whose lease ran out (its owner vanished) and closes it; the old owner's outcome is then ignored", async () => {
    const owner = await log().claim("k", "authorize", FP);
    clock += LEASE_MS + 1;
    expect(await log().close("k", "authorize")).toMatchObject({ _id: owner.op._id, state: "closed" });
    expect(await log().succeed(owner.op, "tx-1")).toBe(false);
    expect(await recordOf("k")).toMatchObject({ state: "closed" });
    await expect(log().claim("k", "authorize", FP)).rejects.toMatchObject(OPERATION_CLOSED);
  });

  it("takes over only a lease that ran out, as a claim does: not one at its last millisecond", async () => {
    const owner = await log().claim("k", "authorize", FP);
    clock = owner.op.leaseUntil;
    expect(await log().close("k", "authorize")).toMatchObject({ state: "pending" });
  });

  it("leaves an operation of another kind under the key alone, even a failed one", async () => {
    const capture = await log().claim("k", "capture", FP, "tx-1");
    await log().fail(capture.op, "tx-1");
    expect(await log().close("k", "authorize")).toMatchObject({ kind: "capture", state: "failed" });
    expect(await log().claim("k", "capture", FP, "tx-1")).toMatchObject({ run: true });
  });
});

describe("a close and a call with the same key at once", () => {
  const settled = <T>(call: Promise<T>) => call.then((value) => ({ value }), (reason: unknown) => ({ reason }));

  /** Starts both, either one first; whichever reaches the store first wins, and the two answers always agree. */
  async function race(key: string, closeFirst: boolean): Promise<string> {
    const close = () => log().close(key, "authorize");
    const claim = () => settled(log().claim(key, "authorize", FP));
    const [closed, claimed] = closeFirst ? await Promise.all([close(), claim()]) : await Promise.all([claim(), close()]).then(([a, b]) => [b, a] as const);
    if (closed.state === "closed") expect(claimed).toMatchObject({ reason: OPERATION_CLOSED });
    else expect([closed.state, claimed]).toMatchObject(["pending", { value: { run: true } }]);
    return closed.state;
  }

  it("on a fresh key: either the key is closed and the call refused, or the call runs and the close says pending", async () => {
    const winners = new Set<string>();
    for (let i = 0; i < 20; i++) {
      winners.add(await race(`fresh-${i}`, i % 2 === 0));
      expect(await store.count({ query: { key: `fresh-${i}` } })).toBe(1);
    }
    expect(winners).toEqual(new Set(["closed", "pending"])); // both orders were tried
  });

  it("on an expired lease: exactly one of them takes the operation over", async () => {
    const winners = new Set<string>();
    for (let i = 0; i < 20; i++) {
      await log().claim(`expired-${i}`, "authorize", FP);
      clock += LEASE_MS + 1;
      winners.add(await race(`expired-${i}`, i % 2 === 0));
    }
    expect(winners).toEqual(new Set(["closed", "pending"]));
  });
});
