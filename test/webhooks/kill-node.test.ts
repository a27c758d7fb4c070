/**
 * The webhooks service killed (SIGKILL) while it delivers, and events raised
 * while no webhooks node runs: none is lost. Nodes are processes of the
 * project built into a temp dir, on a private NATS with JetStream and one
 * MongoDB; the test's broker joins the cluster to manage the endpoint and to
 * publish events as the producers' outbox relays do. The receiver on
 * 127.0.0.1 verifies every message with the `standardwebhooks` package.
 */
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster";
import { startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import { newId } from "../../platform/db/db-adapter";
import type { EventBus, EventEnvelope } from "../../platform/events/types";
import { buildProject } from "../events/support/built-project";
import { forgetServiceChanges } from "../events/support/bus-harness";
import { startReceiver, type Receiver } from "./support/receiver";
import { ADMIN, orderPaid } from "./support/webhooks-platform";

const BEFORE = 10;
const WHILE_DOWN = 10;

describe("a webhooks node killed while it delivers, and events raised while none runs", () => {
  let nats: NatsServer;
  let mongo: TestMongo;
  let receiver: Receiver;
  let cluster: Cluster;
  let bus: EventBus;
  let env: Record<string, string>;

  beforeAll(async () => {
    const [project, natsServer, mongoServer, webhookReceiver] = await Promise.all([buildProject(), startNatsServer(), startMongo(), startReceiver()]);
    [nats, mongo, receiver] = [natsServer, mongoServer, webhookReceiver];
    env = {
      MONGO_URI: mongo.uri,
      WEBHOOKS_ALLOW_PRIVATE: "true",
      WEBHOOKS_RETRY_SCHEDULE: "100ms,100ms,100ms,100ms,100ms",
      WEBHOOKS_POLL_INTERVAL_MS: "50",
      EVENTS_ACK_WAIT_MS: "2000",
      // Below the ack wait: a handler waiting on an action must not outlast its message (refused at start otherwise).
      REQUEST_TIMEOUT: "1500",
      EVENTS_RETRY_DELAY_MS: "200",
    };
    cluster = await startCluster({ transporter: nats.url, project, env, nodes: [{ services: ["webhooks"], name: "webhooks" }] });
    bus = acquireBus(cluster.broker);
  }, 120_000);

  afterAll(async () => {
    if (cluster) {
      await releaseBus(cluster.broker);
      await cluster.stop();
      forgetServiceChanges(cluster.broker);
    }
    await Promise.allSettled([nats?.stop(), mongo?.stop(), receiver?.stop()]);
  });

  const publish = async (payload: Record<string, unknown>): Promise<EventEnvelope> => {
    const envelope: EventEnvelope = { id: newId(), event: "order.paid", payload, occurredAt: new Date().toISOString(), source: "orders" };
    await bus.publish(envelope);
    return envelope;
  };
  const verifiedIds = () => new Set(receiver.received.filter((r) => r.verified).map((r) => r.headers["webhook-id"]));

  it("delivers every event, signed, once the service is back", async () => {
    const endpoint = await cluster.broker.call<{ id: string; secret: string }, object>("webhooks.create", { url: receiver.url, events: ["order.paid"] }, { meta: { user: ADMIN } });
    receiver.trust([endpoint.secret]);
    // Every message fails once, so the victim has deliveries between attempts when it dies.
    receiver.answer(Array(BEFORE).fill(503));
    const [victim] = cluster.nodes as ClusterNode[];

    const sent: EventEnvelope[] = [];
    for (let n = 0; n < BEFORE; n++) sent.push(await publish(orderPaid()));
    await waitUntil(() => receiver.received.length >= 3, { description: "the victim to be delivering", timeoutMs: 20_000 });
    await victim.kill();

    for (let n = 0; n < WHILE_DOWN; n++) sent.push(await publish(orderPaid()));
    const back = await cluster.addNode({ services: ["webhooks"], name: "webhooks-back", env });

    const expected = sent.map((e) => `msg_${e.id}`);
    await waitUntil(() => expected.every((id) => verifiedIds().has(id)) && receiver.received.filter((r) => r.answered === 200).length >= expected.length, {
      description: () => `${expected.length} messages delivered (${verifiedIds().size} so far)`,
      timeoutMs: 60_000,
    });
    expect(receiver.received.every((r) => r.verified !== null)).toBe(true);
    const succeeded = new Set(receiver.received.filter((r) => r.answered === 200).map((r) => r.headers["webhook-id"]));
    expect(expected.filter((id) => !succeeded.has(id))).toEqual([]);

    type DeliveryLog = { rows: { status: string; messageId: string }[]; total: number };
    let log: DeliveryLog = { rows: [], total: 0 };
    // The receiver has its 200 before the sender writes it down: wait for the log to say so too.
    await waitUntil(
      async () => {
        log = await cluster.broker.call<DeliveryLog, object>(
          "webhooks.deliveries",
          { id: endpoint.id, pageSize: 100 },
          // Asked of the node that is back: the killed one may still be listed until its heartbeats time out.
          { nodeID: back.nodeID, meta: { user: ADMIN } },
        );
        return log.rows.length === expected.length && log.rows.every((d) => d.status === "succeeded");
      },
      { description: () => `every delivery written down as succeeded: ${JSON.stringify(log.rows.map((d) => d.status))}`, timeoutMs: 20_000 },
    );
    expect(log.total).toBe(expected.length);
    expect(log.rows.every((d) => d.status === "succeeded")).toBe(true);
  });
});
