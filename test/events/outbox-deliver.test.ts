/**
 * A producer publishes its own outbox entries at once (OutboxRelay.deliver):
 * no claim and no relay pass in the usual case, and nothing lost when that
 * publish fails: the entry is left for the relay's passes, which publish it
 * once the bus is back.
 */
import { createAdapter, newId, type DbAdapter } from "../../platform/db/db-adapter";
import { OUTBOX_INDEXES, OutboxStore, type OutboxDoc } from "../../platform/events/outbox";
import { OutboxRelay } from "../../platform/events/outbox-relay";
import type { EventEnvelope } from "../../platform/events/types";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("a producer delivering its own outbox entries", () => {
  let adapter: DbAdapter;
  let store: OutboxStore;
  let published: EventEnvelope[];
  let busDown: boolean;
  let relay: OutboxRelay;

  beforeEach(async () => {
    adapter = createAdapter({ collection: "outbox", database: "outbox_deliver_test" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "." });
    adapter.init({}, { schema: {} });
    await adapter.connect();
    await adapter.ensureIndexes(OUTBOX_INDEXES);
    store = new OutboxStore(adapter);
    published = [];
    busDown = false;
    const publish = async (envelope: EventEnvelope) => {
      if (busDown) throw new Error("NATS away");
      published.push(envelope);
    };
    // The interval never fires here: passes run only when the test asks (runOnce).
    relay = new OutboxRelay({ store, publish, confirm: async () => true, logger: quiet, intervalMs: 3_600_000 });
  });

  afterEach(async () => {
    await relay.stop();
    await adapter.disconnect();
  });

  const envelope = (id: string, payload: unknown): EventEnvelope => ({ id, event: "order.paid", payload, occurredAt: new Date().toISOString(), source: "orders" });

  async function pendingEntry(): Promise<string> {
    const id = newId();
    await store.add({ id, event: "order.paid", payload: null, status: "pending", source: "orders" });
    return id;
  }

  it("publishes a settled entry and marks it sent, without a relay's claim", async () => {
    const id = await pendingEntry();
    await relay.deliver(envelope(id, { orderId: "o1" }), "pending");
    expect(published.map((e) => e.id)).toEqual([id]);
    expect(await store.byId(id)).toMatchObject({ status: "sent", attempts: 0 });
    // Nothing is left for a pass to do.
    expect(await relay.runOnce()).toBe(0);
    expect(published).toHaveLength(1);
  });

  it("leaves an entry it could not publish ready, with its payload, and a pass publishes it once the bus is back", async () => {
    const id = await pendingEntry();
    busDown = true;
    await expect(relay.deliver(envelope(id, { orderId: "o2", total: 1200 }), "pending")).resolves.toBeUndefined();
    expect(await store.byId(id)).toMatchObject({ status: "ready", payload: { orderId: "o2", total: 1200 }, lastError: "Error: NATS away" });

    busDown = false;
    // Due after the retry wait (2 s): the entry is made due now rather than waited for.
    await adapter.updateOneWhere({ _id: id }, { $set: { claimedUntil: new Date(0).toISOString() } });
    expect(await relay.runOnce()).toBe(1);
    expect(published).toEqual([expect.objectContaining({ id, payload: { orderId: "o2", total: 1200 } })]);
    expect((await store.byId(id)) as OutboxDoc).toMatchObject({ status: "sent" });
  });

  it("does the same for an entry written ready under the producer's claim", async () => {
    const id = newId();
    await store.add({ id, event: "payment.refunded", payload: { amount: 500 }, status: "ready", source: "payments", claimedUntil: Date.now() + 30_000 });
    busDown = true;
    await relay.deliver(envelope(id, { amount: 500 }), "ready");
    expect(await store.byId(id)).toMatchObject({ status: "ready", lastError: "Error: NATS away" });
    busDown = false;
    await relay.deliver(envelope(id, { amount: 500 }), "ready");
    expect(await store.byId(id)).toMatchObject({ status: "sent" });
  });

  it("is waited for when the relay stops", async () => {
    const id = await pendingEntry();
    let release!: () => void;
    const slow = new OutboxRelay({
      store,
      publish: () => new Promise<void>((resolve) => (release = resolve)),
      confirm: async () => true,
      logger: quiet,
      intervalMs: 3_600_000,
    });
    void slow.deliver(envelope(id, {}), "pending");
    let stopped = false;
    const stopping = slow.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await store.byId(id)).toMatchObject({ status: "sent" });
  });
});
