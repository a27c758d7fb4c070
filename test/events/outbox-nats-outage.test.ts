/**
 * NATS goes away while a producer writes: the state change is made and its
 * event waits in the outbox; when NATS is back the relay publishes it and
 * the consumer, which reconnects too, gets it once.
 */
import { ServiceBroker, type BrokerOptions, type ServiceSchema } from "moleculer";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import type { OutboxStore } from "../../platform/events/outbox";
import type { EventEnvelope } from "../../platform/events/types";
import { newId } from "../../platform/db/db-adapter";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";
import OrderDesk from "./fixtures/order-desk.service";
import { stopBroker } from "./support/bus-harness";

describe("an outbox while NATS is away", () => {
  let nats: NatsServer;
  let broker: ServiceBroker;
  const received: EventEnvelope[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    broker = new ServiceBroker({
      logger: false,
      skipProcessEventRegistration: true,
      namespace: `test-${newId().slice(0, 8)}`,
      // A connection string; moleculer's types leave strings out but the runtime takes them.
      transporter: nats.url as BrokerOptions["transporter"],
    });
    broker.createService({ name: "order-desk", mixins: [OrderDesk], settings: {} } as ServiceSchema);
    broker.createService({
      name: "listener",
      mixins: [ChannelsMixin({ "order.paid": (e: EventEnvelope) => void received.push(e) }, { retryDelayMs: 50, ackWaitMs: 2000 })],
    } as ServiceSchema);
    await broker.start();
  }, 30_000);

  afterAll(async () => {
    await stopBroker(broker);
    await nats?.stop();
  });

  it("keeps the event until NATS is back, then publishes it once", async () => {
    await nats.kill();
    const placed = await broker.call<{ status: string; eventId: string }, unknown>("order-desk.place", {
      userId: "65a000000000000000000a01",
      email: "ada@example.com",
      name: "Ada",
      items: [{ productId: "p1", name: "Mug", unitPrice: 900, quantity: 1, lineTotal: 900 }],
      shippingCost: 0,
      currency: "USD",
    });
    expect(placed.status).toBe("paid");
    const outbox = (broker.getLocalService("order-desk") as unknown as { outbox: OutboxStore }).outbox;
    await waitUntil(async () => Boolean((await outbox.byId(placed.eventId))?.lastError), { description: "a failed publish", timeoutMs: 20_000 });
    expect(await outbox.byId(placed.eventId)).toMatchObject({ status: "ready" });

    await nats.restart();
    await waitUntil(() => received.length > 0, { description: "order.paid after NATS is back", timeoutMs: 30_000 });
    await waitUntil(async () => (await outbox.byId(placed.eventId))?.status === "sent", { description: "the entry sent", timeoutMs: 10_000 });
    // A publish buffered while disconnected may reach the stream as well as the relay's retry: the stream keeps one.
    const bus = acquireBus(broker);
    try {
      await waitUntil(async () => {
        const stats = await bus.stats("listener");
        return stats !== null && stats.pending === 0 && stats.unacked === 0;
      }, { description: "the listener to settle", timeoutMs: 10_000 });
    } finally {
      await releaseBus(broker);
    }
    expect(received.map((e) => e.id)).toEqual([placed.eventId]);
  });
});
