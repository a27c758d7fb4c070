/**
 * A producer process dies between its state change and the publish of the
 * event (FAULT_CRASH_BEFORE_PUBLISH): the change and the outbox entry are
 * stored, nothing is published; once the producer is back, its relay
 * publishes the event and the consumer gets it, once.
 *
 * The producer is the stand-in order desk (test/events/fixtures), a node of
 * the project built into a temp dir, on MongoDB (the emulator, or MONGO_URI)
 * and a private NATS with JetStream; the consumer is a service on the test's
 * own broker in the same cluster.
 */
import type { ServiceSchema } from "moleculer";
import { startCluster, type Cluster } from "../support/cluster";
import { startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";
import { ChannelsMixin } from "../../mixins/channels.mixin";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import type { EventBus, EventEnvelope } from "../../platform/events/types";
import { mongoDatabaseName } from "../../platform/db/db-adapter";
import { buildProject } from "./support/built-project";
import { forgetServiceChanges } from "./support/bus-harness";

// The 3.x driver of moleculer-db-adapter-mongo has no types: the little used here.
interface Collection {
  findOne(query: object): Promise<Record<string, any> | null>;
}
interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
const { MongoClient } = require("mongodb") as { MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> } };

const ORDER = {
  userId: "65a000000000000000000a01",
  email: "ada@example.com",
  name: "Ada",
  items: [{ productId: "p1", name: "Mug", unitPrice: 1200, quantity: 1, lineTotal: 1200 }],
  shippingCost: 0,
  currency: "USD",
};

describe("a producer that crashes between its state change and the publish", () => {
  let nats: NatsServer;
  let mongo: TestMongo;
  let cluster: Cluster;
  let db: MongoClient;
  let bus: EventBus;
  const received: EventEnvelope[] = [];

  beforeAll(async () => {
    const [project, natsServer, mongoServer] = await Promise.all([buildProject(), startNatsServer(), startMongo()]);
    nats = natsServer;
    mongo = mongoServer;
    cluster = await startCluster({
      transporter: nats.url,
      project,
      nodes: [{ services: ["order-desk"], name: "desk", env: { MONGO_URI: mongo.uri, FAULT_CRASH_BEFORE_PUBLISH: "1" } }],
    });
    cluster.broker.createService({
      name: "listener",
      mixins: [ChannelsMixin({ "order.paid": (e: EventEnvelope) => void received.push(e) }, { retryDelayMs: 50, ackWaitMs: 2000 })],
    } as ServiceSchema);
    await cluster.broker.waitForServices(["listener"], 10_000, 50);
    bus = acquireBus(cluster.broker);
    db = await MongoClient.connect(mongo.uri, { useUnifiedTopology: true });
  }, 90_000);

  afterAll(async () => {
    await db?.close();
    if (bus) await releaseBus(cluster.broker);
    await cluster?.stop();
    if (cluster) forgetServiceChanges(cluster.broker);
    await nats?.stop();
    await mongo?.stop();
  });

  const database = () => db.db(mongoDatabaseName(mongo.uri, "order_desk"));

  it("publishes the event after the producer restarts, and the consumer gets it once", async () => {
    const [crashing] = cluster.nodes;
    // The call never gets its answer: the node is gone before it replies.
    await expect(cluster.broker.call("order-desk.place", ORDER, { timeout: 10_000 })).rejects.toThrow();
    const exit = await crashing.waitForExit();
    expect(exit.signal).toBe("SIGKILL");
    expect(crashing.logs()).toMatch(/FAULT_CRASH_BEFORE_PUBLISH: crashing after the outbox write of order\.paid (\w+)/);
    const eventId = /order\.paid (\w{24})/.exec(crashing.logs())?.[1] as string;

    // Stored: the order is paid and names its event; the entry waits; nothing went out.
    const order = await database().collection("desk_orders").findOne({ outboxEvents: eventId });
    expect(order).toMatchObject({ status: "paid" });
    expect(await database().collection("outbox").findOne({ event: "order.paid" })).toMatchObject({ status: "pending" });
    const stats = await bus.stats("listener");
    expect(stats).toEqual({ pending: 0, unacked: 0 });
    expect(received).toEqual([]);

    await cluster.addNode({ services: ["order-desk"], name: "desk-again", env: { MONGO_URI: mongo.uri } });
    await waitUntil(() => received.length > 0, { description: "order.paid after the restart", timeoutMs: 30_000 });
    await waitUntil(async () => (await database().collection("outbox").findOne({ event: "order.paid" }))?.status === "sent", {
      description: "the outbox entry marked sent",
      timeoutMs: 10_000,
    });
    await waitUntil(async () => {
      const s = await bus.stats("listener");
      return s !== null && s.pending === 0 && s.unacked === 0;
    }, { description: "the listener to settle", timeoutMs: 10_000 });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ id: eventId, event: "order.paid", source: "order-desk", payload: { orderId: String(order?._id), userId: ORDER.userId, total: 1200 } });
  });
});
