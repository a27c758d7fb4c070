/**
 * Notifications nodes as processes of the project built into a temp dir, on
 * a private NATS with JetStream, one MongoDB they share (the emulator, or
 * MONGO_URI) and a local SMTP sink: for the suites that stop and kill nodes.
 * The test's own broker joins the cluster to publish events and watch the
 * group's consumer; the database is read directly for what was stored.
 */
import { startCluster, type Cluster, type ClusterNodeSpec } from "../../support/cluster";
import { startMongo, type TestMongo } from "../../support/mongo";
import { startNatsServer } from "../../support/nats-server";
import { waitUntil } from "../../support/wait-until";
import { acquireBus, releaseBus } from "../../../platform/events/bus-registry";
import type { EventBus, EventEnvelope } from "../../../platform/events/types";
import { mongoDatabaseName, newId } from "../../../platform/db/db-adapter";
import { buildProject } from "../../events/support/built-project";
import { forgetServiceChanges } from "../../events/support/bus-harness";
import { startSmtpSink, type SmtpSink } from "./smtp-sink";

// The 3.x driver of moleculer-db-adapter-mongo has no types: the little used here.
interface Collection {
  find(query: object): { toArray(): Promise<Record<string, any>[]> };
}
interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
const { MongoClient } = require("mongodb") as { MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> } };

export interface NotificationsCluster {
  cluster: Cluster;
  sink: SmtpSink;
  mongo: TestMongo;
  /** Environment of a notifications (or producer) node: database, SMTP sink, short waits. */
  env: Record<string, string>;
  bus: EventBus;
  publish(event: string, payload: Record<string, unknown>): Promise<EventEnvelope>;
  /** The notifications group has nothing left to deliver or settle. */
  settled(timeoutMs?: number): Promise<void>;
  /** Documents of a collection of the notifications database. */
  stored(collection: "notifications" | "deliveries"): Promise<Record<string, any>[]>;
  stop(): Promise<void>;
}

export async function startNotificationsCluster(nodes: ClusterNodeSpec[], extraEnv: Record<string, string> = {}): Promise<NotificationsCluster> {
  const [project, nats, mongo, sink] = await Promise.all([buildProject(), startNatsServer(), startMongo(), startSmtpSink()]);
  const env = {
    MONGO_URI: mongo.uri,
    SMTP_URL: sink.url,
    MAIL_FROM: "Moleculer Shop <no-reply@shop.test>",
    // A dead node's events reach the others within seconds.
    EVENTS_ACK_WAIT_MS: "2000",
    // Below the ack wait: a handler's calls give up before its event would go to another node.
    REQUEST_TIMEOUT: "1500",
    EVENTS_RETRY_DELAY_MS: "200",
    EVENTS_MAX_IN_FLIGHT: "3",
    SMTP_TIMEOUT_MS: "4000",
    ...extraEnv,
  };
  let cluster: Cluster;
  try {
    cluster = await startCluster({ transporter: nats.url, project, env, nodes });
  } catch (err) {
    await Promise.allSettled([nats.stop(), mongo.stop(), sink.stop()]);
    throw err;
  }
  const bus = acquireBus(cluster.broker);
  const db = await MongoClient.connect(mongo.uri, { useUnifiedTopology: true });

  return {
    cluster,
    sink,
    mongo,
    env,
    bus,
    async publish(event, payload) {
      const envelope: EventEnvelope = { id: newId(), event, payload, occurredAt: new Date().toISOString(), source: "test" };
      await bus.publish(envelope);
      return envelope;
    },
    settled: (timeoutMs = 60_000) =>
      waitUntil(
        async () => {
          const stats = await bus.stats("notifications");
          return stats !== null && stats.pending === 0 && stats.unacked === 0;
        },
        { description: "the notifications group to settle every event", timeoutMs, intervalMs: 200 },
      ),
    stored: (collection) => db.db(mongoDatabaseName(mongo.uri, "notifications")).collection(collection).find({}).toArray(),
    async stop() {
      await db.close();
      await releaseBus(cluster.broker);
      await cluster.stop();
      forgetServiceChanges(cluster.broker);
      sink.release();
      await Promise.allSettled([nats.stop(), mongo.stop(), sink.stop()]);
    },
  };
}

/** `order.paid` of a customer with their address, as the orders service publishes it. */
export function orderPaidFor(n: number): Record<string, unknown> {
  const userId = `65a0000000000000000${String(n).padStart(5, "0")}`;
  return {
    orderId: newId(),
    userId,
    email: `customer${n}@example.com`,
    name: `Customer ${n}`,
    currency: "USD",
    items: [{ productId: "p1", name: "Mug", unitPrice: 1000 + n, quantity: 1, lineTotal: 1000 + n }],
    subtotal: 1000 + n,
    shippingCost: 0,
    total: 1000 + n,
  };
}

/** How often each value occurs. */
export function occurrences(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
