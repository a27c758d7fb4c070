/**
 * The outbox's states on their own (NeDB in memory): what the producer and
 * the relays may do to an entry, and what they may not.
 */
import { createAdapter, newId, type DbAdapter } from "../../lib/db-adapter";
import { OUTBOX_INDEXES, OutboxStore, toEnvelope } from "../../lib/outbox";

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
    expect(await store.prune(T0 + 2000)).toBe(0);
    expect(await store.prune(T0 + 4000)).toBe(1);
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
});
