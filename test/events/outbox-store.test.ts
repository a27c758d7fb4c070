/**
 * The outbox's states on their own (NeDB in memory): what the producer and
 * the relays may do to an entry, and what they may not.
 */
import { createAdapter, newId, type DbAdapter } from "../../platform/db/db-adapter";
import { OUTBOX_INDEXES, OutboxStore, SENT_RETENTION_MS, VOID_RETENTION_MS, toEnvelope } from "../../platform/events/outbox";

describe("outbox entries", () => {
  let adapter: DbAdapter;
  let store: OutboxStore;
  const T0 = Date.parse("2030-01-01T00:00:00.000Z");

  beforeEach(async () => {
    adapter = createAdapter({ collection: "outbox", database: "outbox_store_test" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "." });
    adapter.init({}, { schema: {} });
    await adapter.connect();
    await adapter.ensureIndexes(OUTBOX_INDEXES);
    store = new OutboxStore(adapter);
  });

  afterEach(async () => {
    await adapter.disconnect();
  });

  const add = async (status: "pending" | "ready", at = T0) => {
    const id = newId();
    await store.add({ id, event: "order.paid", payload: { orderId: "o1" }, status, source: "orders", requestId: "req-1" }, at);
    return id;
  };

  it("becomes an event envelope under its own id", async () => {
    const id = await add("ready");
    expect(toEnvelope((await store.byId(id))!)).toEqual({ id, event: "order.paid", payload: { orderId: "o1" }, occurredAt: "2030-01-01T00:00:00.000Z", requestId: "req-1", source: "orders" });
  });

  it("is due once ready, and one relay's claim keeps it from the others until the claim runs out", async () => {
    const id = await add("ready");
    const [due] = await store.due(10, T0);
    expect(due.id).toBe(id);
    expect(await store.claim(due, 30_000, T0)).toBe(true);
    // A second relay with the same (now stale) view loses, and no longer sees it as due.
    expect(await store.claim(due, 30_000, T0)).toBe(false);
    expect(await store.due(10, T0 + 1000)).toEqual([]);
    expect((await store.due(10, T0 + 30_000)).map((e) => e.id)).toEqual([id]);
  });

  it("waits after a failed publish, and is history once sent", async () => {
    const id = await add("ready");
    await store.failed(id, "NATS away", 2000, T0);
    expect(await store.due(10, T0 + 1000)).toEqual([]);
    expect(await store.byId(id)).toMatchObject({ status: "ready", lastError: "NATS away" });
    await store.sent(id, T0 + 3000);
    expect(await store.byId(id)).toMatchObject({ status: "sent", sentAt: "2030-01-01T00:00:03.000Z" });
    expect((await store.byId(id))?.lastError).toBeUndefined();
    expect(await store.prune(T0 + 3000 + SENT_RETENTION_MS)).toBe(0);
    expect(await store.prune(T0 + 3001 + SENT_RETENTION_MS)).toBe(1);
  });

  it("keeps a sent entry a day and a void one 7 days, and never prunes one still to publish", async () => {
    const sent = await add("ready");
    await store.sent(sent, T0);
    const discarded = await add("pending");
    expect(await store.abandon(discarded, T0)).toBe(true);
    const waiting = await add("ready");
    expect(await store.prune(T0 + SENT_RETENTION_MS)).toBe(0);
    expect(await store.prune(T0 + SENT_RETENTION_MS + 1)).toBe(1);
    expect(await store.byId(sent)).toBeNull();
    expect(await store.prune(T0 + VOID_RETENTION_MS)).toBe(0);
    expect(await store.prune(T0 + VOID_RETENTION_MS + 1)).toBe(1);
    expect(await store.byId(discarded)).toBeNull();
    expect(await store.byId(waiting)).toMatchObject({ status: "ready" });
  });

  it("is not published while pending; a pending entry is confirmed, discarded or abandoned", async () => {
    const confirmed = await add("pending");
    const discarded = await add("pending");
    const abandoned = await add("pending");
    expect(await store.due(10, T0 + 60_000)).toEqual([]);
    expect((await store.unsettled(10, T0)).map((e) => e.id).sort()).toEqual([confirmed, discarded, abandoned].sort());

    expect(await store.confirm(confirmed)).toBe(true);
    await store.discard(discarded);
    expect(await store.abandon(abandoned)).toBe(true);
    expect(await store.byId(confirmed)).toMatchObject({ status: "ready" });
    expect(await store.byId(discarded)).toBeNull();
    expect(await store.byId(abandoned)).toMatchObject({ status: "void" });
    // Neither can be taken back once settled otherwise.
    expect(await store.abandon(confirmed)).toBe(false);
    expect(await store.confirm(abandoned)).toBe(false);
  });

  it("is published after all when its producer reports the change stored after a relay gave up on it", async () => {
    const id = await add("pending");
    await store.abandon(id);
    expect(await store.markReady(id)).toBe(true);
    expect(await store.byId(id)).toMatchObject({ status: "ready" });
    await store.sent(id);
    // A sent entry stays sent.
    expect(await store.markReady(id)).toBe(false);
  });
  it("is marked sent by a producer that published it itself, unless a relay took it over meanwhile", async () => {
    const own = await add("pending");
    expect(await store.sentFrom(own, "pending", T0 + 10)).toBe(true);
    expect(await store.byId(own)).toMatchObject({ status: "sent", attempts: 0, sentAt: "2030-01-01T00:00:00.010Z" });

    const takenOver = await add("pending");
    await store.confirm(takenOver);
    // The relay publishes it (again) and marks it; the producer's mark does not jump its claim.
    expect(await store.sentFrom(takenOver, "pending")).toBe(false);
    expect(await store.byId(takenOver)).toMatchObject({ status: "ready" });
  });

  it("waits for a relay with its payload after its producer's own publish failed, and only then", async () => {
    const failed = await add("pending");
    expect(await store.readyForRetry(failed, { orderId: "o1", total: 1000 }, "NATS away", 2000, T0)).toBe(true);
    expect(await store.byId(failed)).toMatchObject({ status: "ready", payload: { orderId: "o1", total: 1000 }, lastError: "NATS away" });
    expect(await store.due(10, T0 + 1000)).toEqual([]);
    expect((await store.due(10, T0 + 2000)).map((e) => e.id)).toEqual([failed]);

    const sent = await add("pending");
    await store.sentFrom(sent, "pending");
    expect(await store.readyForRetry(sent, {}, "late", 2000, T0)).toBe(false);
    expect(await store.byId(sent)).toMatchObject({ status: "sent" });
  });

  it("is left alone by relays while the producer that wrote it ready holds its claim", async () => {
    const id = newId();
    await store.add({ id, event: "payment.refunded", payload: {}, status: "ready", source: "payments", claimedUntil: T0 + 30_000 }, T0);
    expect(await store.due(10, T0 + 1000)).toEqual([]);
    expect(await store.sentFrom(id, "ready")).toBe(true);
    expect(await store.due(10, T0 + 60_000)).toEqual([]);
  });
});
