/**
 * The outbox of a producing service (embedded mode): a state change and its
 * event are stored together, the relay publishes what was stored, and an
 * event whose change did not happen is never published.
 */
import { ServiceBroker, type Service, type ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import { newId } from "../../lib/db-adapter";
import { outboxMark, type OutboxStore } from "../../lib/outbox";
import type { EventEnvelope } from "../../lib/channels/types";
import OrderDesk from "./fixtures/order-desk.service";
import { waitUntil } from "../support/wait-until";
import { stopBroker } from "./support/bus-harness";

type LabThis = Service & DbMethods & OutboxMethods;
type Mode = "commit" | "nothing" | "fail-before" | "fail-after";

/** A producer whose state change can be told to change nothing, or to fail before or after its write. */
const Lab = {
  name: "outbox-lab",
  mixins: [DbMixin({ collection: "lab_docs", database: "outbox_lab" }), OutboxMixin({ database: "outbox_lab", relayIntervalMs: 100 })],
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
      async handler(this: LabThis) {
        return this.publishDurable("lab.announced", { at: "now" });
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
      mixins: [ChannelsMixin({ "lab.changed": record, "lab.announced": record, "order.paid": record }, { retryDelayMs: 20, maxDeliveries: 3 })],
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
});
