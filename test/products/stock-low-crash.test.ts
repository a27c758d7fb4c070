/**
 * A products process killed between the stock change (an admin's write-off) that takes a product
 * below the threshold and the publish of its stock.low
 * (FAULT_CRASH_BEFORE_PUBLISH): the change is stored with the event's id on
 * the product, the outbox entry pending; once a products node is back, its
 * relay finds the mark and publishes, and the consumer gets stock.low once.
 *
 * Nodes are processes of the project built into a temp dir, on a private
 * NATS with JetStream and one MongoDB; the consumer is a service on the
 * test's own broker in the same cluster.
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
import { buildProject } from "../events/support/built-project";
import { forgetServiceChanges } from "../events/support/bus-harness";
import type { AuthUser } from "../../types/moleculer";

// The 3.x driver of moleculer-db-adapter-mongo has no types: the little used here.
interface Collection {
  findOne(query: object): Promise<Record<string, any> | null>;
}
interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
const { MongoClient, ObjectID } = require("mongodb") as { MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> }; ObjectID: new (hex: string) => object };

const ADMIN: AuthUser = { id: "65a000000000000000000ad1", email: "admin@example.com", name: "Admin", role: "admin" };
const THRESHOLD = 5;

describe("a products process killed between a stock change below the threshold and the publish of stock.low", () => {
  let nats: NatsServer;
  let mongo: TestMongo;
  let cluster: Cluster;
  let db: MongoClient;
  let bus: EventBus;
  let env: Record<string, string>;
  const received: EventEnvelope<Record<string, unknown>>[] = [];

  beforeAll(async () => {
    const [project, natsServer, mongoServer] = await Promise.all([buildProject(), startNatsServer(), startMongo()]);
    [nats, mongo] = [natsServer, mongoServer];
    env = { MONGO_URI: mongo.uri, LOW_STOCK_THRESHOLD: String(THRESHOLD), OUTBOX_RELAY_INTERVAL: "1" };
    cluster = await startCluster({ transporter: nats.url, project, env, nodes: [{ services: ["products"], name: "products-crashing", env: { FAULT_CRASH_BEFORE_PUBLISH: "1" } }] });
    cluster.broker.createService({
      name: "listener",
      mixins: [ChannelsMixin({ "stock.low": (e: EventEnvelope<Record<string, unknown>>) => void received.push(e) }, { retryDelayMs: 50, ackWaitMs: 2000 })],
    } as ServiceSchema);
    await cluster.broker.waitForServices(["listener"], 10_000, 50);
    bus = acquireBus(cluster.broker);
    db = await MongoClient.connect(mongo.uri, { useUnifiedTopology: true });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    if (bus) await releaseBus(cluster.broker);
    await cluster?.stop();
    if (cluster) forgetServiceChanges(cluster.broker);
    await Promise.allSettled([nats?.stop(), mongo?.stop()]);
  });

  const database = () => db.db(mongoDatabaseName(mongo.uri, "products"));

  it("still has stock.low delivered, once, after the restart", async () => {
    const [crashing] = cluster.nodes;
    const product = await cluster.broker.call<{ id: string; sku: string }, object>(
      "products.create",
      { sku: "CRASH-LOW-1", name: "Crash Mug", description: "", category: "testing", price: 1200, stock: 8, weightGrams: 300 },
      { meta: { user: ADMIN } },
    );
    // A write-off of 5 takes 8 to 3, below 5: the node writes the entry and the change, then dies before publishing; the call never gets its answer.
    await expect(cluster.broker.call("products.adjustStock", { id: product.id, delta: -5, reason: "damaged" }, { timeout: 10_000, retries: 0, meta: { user: ADMIN } })).rejects.toThrow();
    const exit = await crashing.waitForExit();
    expect(exit.signal).toBe("SIGKILL");
    const eventId = /crashing after the outbox write of stock\.low (\w{24})/.exec(crashing.logs())?.[1] as string;
    expect(eventId).toMatch(/^\w{24}$/);

    // Stored: the stock taken, the product marked with its event; the event pending, not published.
    const stored = await database().collection("products").findOne({ _id: new ObjectID(product.id) });
    expect(stored).toMatchObject({ stock: 3, reserved: 0, outboxEvents: [eventId] });
    expect(await database().collection("outbox").findOne({ _id: new ObjectID(eventId) })).toMatchObject({ status: "pending", event: "stock.low" });
    expect(await bus.stats("listener")).toEqual({ pending: 0, unacked: 0 });
    expect(received).toEqual([]);
    await cluster.addNode({ services: ["products"], name: "products-back", env });
    await waitUntil(() => received.length > 0, { description: "stock.low after the restart", timeoutMs: 30_000 });
    await waitUntil(async () => (await database().collection("outbox").findOne({ _id: new ObjectID(eventId) }))?.status === "sent", { description: "the outbox entry marked sent", timeoutMs: 10_000 });
    await waitUntil(
      async () => {
        const stats = await bus.stats("listener");
        return stats !== null && stats.pending === 0 && stats.unacked === 0;
      },
      { description: "the listener to settle", timeoutMs: 10_000 },
    );
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ id: eventId, event: "stock.low", source: "products", payload: { id: product.id, sku: "CRASH-LOW-1", stock: 3, threshold: THRESHOLD } });
  }, 150_000);
});
