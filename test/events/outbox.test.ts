/**
 * The outbox of a producing service (embedded mode): a state change and its
 * event are stored together, the relay publishes what was stored, and an
 * event whose change did not happen is never published.
 */
import { ServiceBroker, type Service, type ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import { newId } from "../../platform/db/db-adapter";
import { outboxMark, type OutboxStore } from "../../platform/events/outbox";
import type { EventEnvelope } from "../../platform/events/types";
import OrderDesk from "./fixtures/order-desk.service";
import { waitUntil } from "../support/wait-until";
import { stopBroker } from "./support/bus-harness";

type LabThis = Service & DbMethods & OutboxMethods;
type Mode = "commit" | "nothing" | "fail-before" | "fail-after";

/** A producer whose state change can be told to change nothing, or to fail before or after its write. */
const Lab = {
  name: "outbox-lab",
  mixins: [
    DbMixin({ collection: "lab_docs", database: "outbox_lab" }),
    // How the relay makes the payload of an entry written without one (after a crash): from the marked document.
    OutboxMixin({ database: "outbox_lab", relayIntervalMs: 100, payloadOf: (_entry, changed) => ({ docId: changed.id, state: changed.state, remade: true }) }),
  ],
  actions: {
    change: {
      visibility: "public",
      params: { mode: "string" },
      async handler(this: LabThis, ctx: { params: { mode: Mode } }) {
        const docId = newId();
        await this.adapter.insert({ _id: docId, state: "old" });
        return this.commitWithEvent("lab.changed", { docId }, async (eventId) => {
          if (ctx.params.mode === "nothing") return null;
          if (ctx.params.mode === "fail-before") throw new Error("database away");
          const updated = await this.updateWhere({ _id: docId }, { $set: { state: "new" }, $push: outboxMark(eventId) });
          if (ctx.params.mode === "fail-after") throw new Error("timed out waiting for the write");
          return updated;
        });
      },
    },
    announce: {
      visibility: "public",
      params: { key: { type: "string", optional: true } },
      async handler(this: LabThis, ctx: { params: { key?: string } }) {
        return this.publishDurable("lab.announced", { at: "now" }, undefined, { key: ctx.params.key });
      },
    },
    /** Moves a document from old to new once; its event is keyed by the document and its payload made from the change. */
    settle: {
      visibility: "public",
      params: { docId: "string", mode: "string" },
      async handler(this: LabThis, ctx: { params: { docId: string; mode: Mode } }) {
        const { docId, mode } = ctx.params;
        const changed = await this.commitWithEvent<{ id: string; state: string }>(
          "lab.settled",
          (doc) => ({ docId: doc.id, state: doc.state }),
          async (eventId) => {
            const updated = (await this.updateWhere({ _id: docId, state: "old" }, { $set: { state: "new" }, $push: outboxMark(eventId) })) as { id: string; state: string } | null;
            if (mode === "fail-after") throw new Error("timed out waiting for the write");
            return updated;
          },
          undefined,
          { key: docId },
        );
        return changed ? { ...changed } : null;
      },
    },
    create: {
      visibility: "public",
      async handler(this: LabThis) {
        const docId = newId();
        await this.adapter.insert({ _id: docId, state: "old" });
        return docId;
      },
    },
  },
} as unknown as ServiceSchema;

describe("the outbox", () => {
  let broker: ServiceBroker;
  const received: EventEnvelope[] = [];
  let outbox: (service: string) => OutboxStore;

  beforeAll(async () => {
    broker = new ServiceBroker({ logger: false, skipProcessEventRegistration: true, namespace: `test-${newId().slice(0, 8)}` });
    broker.createService(Lab);
    broker.createService(OrderDesk);
    const record = (e: EventEnvelope) => void received.push(e);
    broker.createService({
      name: "listener",
      mixins: [ChannelsMixin({ "lab.changed": record, "lab.announced": record, "lab.settled": record, "order.paid": record }, { retryDelayMs: 20, maxDeliveries: 3 })],
    } as ServiceSchema);
    await broker.start();
    outbox = (service) => (broker.getLocalService(service) as unknown as { outbox: OutboxStore }).outbox;
  });

  afterAll(async () => {
    await stopBroker(broker);
  });

  const eventsOf = (name: string) => received.filter((e) => e.event === name);

  it("publishes the event of a stored change, under the outbox entry's id, and marks the entry sent", async () => {
    const placed = await broker.call<{ orderId: string; status: string; eventId: string }, unknown>("order-desk.place", {
      userId: "65a000000000000000000a01",
      email: "ada@example.com",
      name: "Ada",
      items: [{ productId: "p1", name: "Mug", unitPrice: 1000, quantity: 1, lineTotal: 1000 }],
      shippingCost: 0,
      currency: "USD",
    });
    expect(placed.status).toBe("paid");
    await waitUntil(() => received.some((e) => e.id === placed.eventId), { description: "order.paid", timeoutMs: 10_000 });
    const [event] = received.filter((e) => e.id === placed.eventId);
    expect(event).toMatchObject({ event: "order.paid", source: "order-desk", payload: { orderId: placed.orderId, total: 1000 } });
    await waitUntil(async () => (await outbox("order-desk").byId(placed.eventId))?.status === "sent", { description: "the entry sent", timeoutMs: 10_000 });
    // Published by the producer itself: no relay claimed it.
    expect(await outbox("order-desk").byId(placed.eventId)).toMatchObject({ attempts: 0 });
  });

  it("drops the event when the change changes nothing", async () => {
    const before = eventsOf("lab.changed").length;
    expect(await broker.call("outbox-lab.change", { mode: "nothing" })).toBeNull();
    expect(await outbox("outbox-lab").unsettled(10, Date.now())).toEqual([]);
    await broker.call("outbox-lab.change", { mode: "commit" });
    // The next event through proves the dropped one is not merely late.
    await waitUntil(() => eventsOf("lab.changed").length === before + 1, { description: "the committed event", timeoutMs: 10_000 });
    expect(eventsOf("lab.changed").length).toBe(before + 1);
  });

  it("publishes a pending event whose change was stored although its caller saw an error", async () => {
    await expect(broker.call("outbox-lab.change", { mode: "fail-after" })).rejects.toThrow("timed out waiting for the write");
    const [pending] = await outbox("outbox-lab").unsettled(10, Date.now());
    expect(pending).toMatchObject({ event: "lab.changed", status: "pending" });
    // The relay looks at pending entries once they are older than a write takes.
    await waitUntil(() => received.some((e) => e.id === pending.id), { description: "the recovered event", timeoutMs: 15_000 });
    expect((await outbox("outbox-lab").byId(pending.id))?.status).toBe("sent");
  });

  it("never publishes an event whose change did not happen", async () => {
    await expect(broker.call("outbox-lab.change", { mode: "fail-before" })).rejects.toThrow("database away");
    const [pending] = await outbox("outbox-lab").unsettled(10, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const lab = broker.getLocalService("outbox-lab") as unknown as OutboxMethods;
    await lab.relayOutbox();
    expect((await outbox("outbox-lab").byId(pending.id))?.status).toBe("pending");
    expect(received.some((e) => e.id === pending.id)).toBe(false);
  });

  it("publishes an event recorded on its own", async () => {
    const id = await broker.call<string, unknown>("outbox-lab.announce", {});
    await waitUntil(() => received.some((e) => e.id === id), { description: "lab.announced", timeoutMs: 10_000 });
    expect(received.filter((e) => e.id === id)).toHaveLength(1);
  });

  it("gives an event with a key one id: written again, it is the same event, published once", async () => {
    const key = newId();
    const first = await broker.call<string, unknown>("outbox-lab.announce", { key });
    const again = await broker.call<string, unknown>("outbox-lab.announce", { key });
    expect(again).toBe(first);
    expect(await broker.call("outbox-lab.announce", { key: newId() })).not.toBe(first);
    await waitUntil(() => received.some((e) => e.id === first), { description: "the keyed event", timeoutMs: 10_000 });
    const lab = broker.getLocalService("outbox-lab") as unknown as OutboxMethods;
    await lab.relayOutbox();
    expect(received.filter((e) => e.id === first)).toHaveLength(1);
  });

  it("makes the payload from the changed document, and a repeat of the change is the same event", async () => {
    const docId = await broker.call<string, unknown>("outbox-lab.create", {});
    expect(await broker.call("outbox-lab.settle", { docId, mode: "commit" })).toMatchObject({ id: docId, state: "new" });
    // A producer repeating itself (after a crash, say) finds the change made: nothing new to tell.
    expect(await broker.call("outbox-lab.settle", { docId, mode: "commit" })).toBeNull();
    await waitUntil(() => eventsOf("lab.settled").some((e) => (e.payload as { docId: string }).docId === docId), { description: "lab.settled", timeoutMs: 10_000 });
    const lab = broker.getLocalService("outbox-lab") as unknown as OutboxMethods;
    await lab.relayOutbox();
    const events = eventsOf("lab.settled").filter((e) => (e.payload as { docId: string }).docId === docId);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toEqual({ docId, state: "new" });
  });

  it("has the relay make the payload of an entry whose producer stopped before writing it", async () => {
    const docId = await broker.call<string, unknown>("outbox-lab.create", {});
    await expect(broker.call("outbox-lab.settle", { docId, mode: "fail-after" })).rejects.toThrow("timed out waiting for the write");
    const [pending] = (await outbox("outbox-lab").unsettled(10, Date.now())).filter((entry) => entry.event === "lab.settled");
    expect(pending).toMatchObject({ status: "pending", payload: null });
    await waitUntil(() => received.some((e) => e.id === pending.id), { description: "the recovered event", timeoutMs: 15_000 });
    expect(received.find((e) => e.id === pending.id)?.payload).toEqual({ docId, state: "new", remade: true });
  });
});
