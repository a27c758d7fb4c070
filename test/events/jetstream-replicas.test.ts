/**
 * JETSTREAM_REPLICAS: how many NATS servers keep a copy of the durable-event
 * streams. The setting, the stream configuration ensureStreams asks for (on a
 * recording stand-in of the JetStream manager), and the real thing: a bus on
 * one private nats-server keeps one copy, a bus on a private 3-server
 * JetStream cluster (what k8s/nats.yaml runs) keeps three and still carries
 * events. Also the dead-letter count the metrics read (bus.deadLetterCount).
 */
import { connect, type JetStreamManager, type NatsConnection, type StreamConfig } from "nats";
import { ConfigError, loadConfig } from "../../platform/config";
import { ensureStreams } from "../../platform/events/jetstream";
import { eventNames } from "../../platform/events/names";
import { NatsBus } from "../../platform/events/nats-bus";
import { encodeEnvelope, type Delivery, type EventEnvelope } from "../../platform/events/types";
import { newId } from "../../platform/db/db-adapter";
import { startNatsServer } from "../support/nats-server";
import { PrivateServer } from "../support/private-server";
import { freePorts } from "../support/ports";
import { tcpProbe } from "../support/tcp-probe";
import { waitUntil } from "../support/wait-until";

const silent = { error: () => undefined };

describe("JETSTREAM_REPLICAS", () => {
  it("is 1 by default: one server, as embedded and docker-compose run", () => {
    expect(loadConfig({}).jetstreamReplicas).toBe(1);
  });

  it("reads 1 to 5 (JetStream's limit)", () => {
    expect(loadConfig({ JETSTREAM_REPLICAS: "3" }).jetstreamReplicas).toBe(3);
    expect(loadConfig({ JETSTREAM_REPLICAS: "5" }).jetstreamReplicas).toBe(5);
    for (const wrong of ["0", "6", "two", "1.5", "-3"]) {
      expect(() => loadConfig({ JETSTREAM_REPLICAS: wrong })).toThrow(ConfigError);
    }
  });
});

describe("ensureStreams", () => {
  /** A JetStream manager that records what it is asked; `existing` streams answer add() as NATS does. */
  function recordingManager(existing: string[] = []) {
    const added: Partial<StreamConfig>[] = [];
    const updated: { name: string; config: Partial<StreamConfig> }[] = [];
    const jsm = {
      streams: {
        add: async (config: Partial<StreamConfig>) => {
          if (existing.includes(String(config.name))) throw new Error("stream name already in use with a different configuration");
          added.push(config);
          return {};
        },
        update: async (name: string, config: Partial<StreamConfig>) => {
          updated.push({ name, config });
          return {};
        },
      },
    } as unknown as JetStreamManager;
    return { jsm, added, updated };
  }

  const names = eventNames("shop");

  it("asks for the given number of replicas on the events and the dead-letter stream", async () => {
    const { jsm, added } = recordingManager();
    await ensureStreams(jsm, names, 3);
    expect(added.map((c) => [c.name, c.num_replicas])).toEqual([
      ["SHOP_EVENTS", 3],
      ["SHOP_DLQ", 3],
    ]);
  });

  it("asks for one replica when not told", async () => {
    const { jsm, added } = recordingManager();
    await ensureStreams(jsm, names);
    expect(added.map((c) => c.num_replicas)).toEqual([1, 1]);
  });

  it("brings existing streams to the replica count (a cluster grown from one server)", async () => {
    const { jsm, updated } = recordingManager(["SHOP_EVENTS", "SHOP_DLQ"]);
    await ensureStreams(jsm, names, 3);
    expect(updated.map((u) => [u.name, u.config.num_replicas])).toEqual([
      ["SHOP_EVENTS", 3],
      ["SHOP_DLQ", 3],
    ]);
  });
});

/** A delivery of `envelope` as the bus would hand it to a group (for dead-lettering it by hand). */
function deliveryOf(namespace: string, envelope: EventEnvelope): Delivery {
  return {
    envelope,
    data: encodeEnvelope(envelope),
    subject: eventNames(namespace).eventSubject(envelope.event),
    deliveryCount: 1,
    replayFor: undefined,
    ack: () => undefined,
    nak: () => undefined,
    term: () => undefined,
    working: () => undefined,
  };
}

const envelope = (event: string): EventEnvelope => ({ id: newId(), event, payload: { n: 1 }, occurredAt: new Date().toISOString() });

describe("a bus on one nats-server", () => {
  let server: PrivateServer;
  let bus: NatsBus;
  let nc: NatsConnection;
  const namespace = `replicas-one-${process.pid}`;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = new NatsBus({ servers: [server.url], names: eventNames(namespace), connectionName: "replicas test", logger: silent });
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await bus?.close();
    await nc?.close();
    await server?.stop();
  });

  it("keeps one copy of each stream", async () => {
    await bus.publish(envelope("replicas.one"));
    const jsm = await nc.jetstreamManager();
    const names = eventNames(namespace);
    for (const stream of [names.eventsStream, names.deadLetterStream]) {
      expect({ stream, replicas: (await jsm.streams.info(stream)).config.num_replicas }).toEqual({ stream, replicas: 1 });
    }
  });

  it("counts a group's dead letters without reading them, and none once they are replayed", async () => {
    expect(await bus.deadLetterCount("counted")).toBe(0);
    await bus.deadLetter("counted", deliveryOf(namespace, envelope("replicas.broken")), "test");
    await bus.deadLetter("counted", deliveryOf(namespace, envelope("replicas.other")), "test");
    await bus.deadLetter("elsewhere", deliveryOf(namespace, envelope("replicas.broken")), "test");
    expect(await bus.deadLetterCount("counted")).toBe(2);
    expect(await bus.deadLetterCount("elsewhere")).toBe(1);
    expect(await bus.replay("counted")).toBe(2);
    expect(await bus.deadLetterCount("counted")).toBe(0);
    expect(await bus.deadLetterCount("elsewhere")).toBe(1);
  });
});

describe("a bus on a 3-server JetStream cluster with JETSTREAM_REPLICAS=3", () => {
  const servers: PrivateServer[] = [];
  let bus: NatsBus;
  let nc: NatsConnection;
  const namespace = `replicas-three-${process.pid}`;

  beforeAll(async () => {
    const routes = await freePorts(3);
    const started = await Promise.all(
      routes.map((route, i) =>
        PrivateServer.start({
          command: "nats-server",
          scheme: "nats",
          args: (port, dir) => [
            "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir,
            "-n", `replicas-${i}`,
            "--cluster_name", `replicas-${process.pid}`,
            "--cluster", `nats://127.0.0.1:${route}`,
            "--routes", routes.filter((other) => other !== route).map((other) => `nats://127.0.0.1:${other}`).join(","),
          ],
          isReady: (port) => tcpProbe({ port, expect: /^INFO /m }),
        }),
      ),
    );
    servers.push(...started);
    nc = await connect({ servers: servers.map((s) => s.url) });
    // The servers elect a JetStream leader once they see each other (until then JetStream answers "unavailable"),
    // and the leader places a stream on three servers only once it counts all three as current (until then
    // "no suitable peers for placement", seen on a loaded machine): a three-copy stream of its own proves both.
    const probe = `REPLICAS_PROBE_${process.pid}`;
    let lastRefusal = "";
    await waitUntil(
      async () => {
        try {
          const jsm = await nc.jetstreamManager();
          await jsm.streams.add({ name: probe, subjects: [`replicas-probe.${process.pid}`], num_replicas: 3 });
          await jsm.streams.delete(probe);
          return true;
        } catch (err) {
          lastRefusal = err instanceof Error ? err.message : String(err);
          return false;
        }
      },
      { description: () => `the JetStream cluster to place a stream on three servers (last refusal: ${lastRefusal})`, timeoutMs: 30_000, intervalMs: 250 },
    );
    bus = new NatsBus({ servers: servers.map((s) => s.url), names: eventNames(namespace), connectionName: "replicas test", replicas: 3, logger: silent });
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await nc?.close();
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("keeps each stream on all three servers", async () => {
    await bus.publish(envelope("replicas.three"));
    const jsm = await nc.jetstreamManager();
    const names = eventNames(namespace);
    for (const stream of [names.eventsStream, names.deadLetterStream]) {
      const info = await jsm.streams.info(stream);
      expect({ stream, replicas: info.config.num_replicas, copies: 1 + (info.cluster?.replicas?.length ?? 0) }).toEqual({ stream, replicas: 3, copies: 3 });
    }
  });

  it("delivers events to a consuming group and counts its dead letters", async () => {
    const seen: string[] = [];
    const sent = envelope("replicas.delivered");
    const subscription = await bus.consume("replicated-group", { maxInFlight: 1, ackWaitMs: 5_000 }, async (delivery) => {
      if (delivery.envelope) seen.push(delivery.envelope.id);
      delivery.ack();
    });
    try {
      await bus.publish(sent);
      await waitUntil(() => seen.includes(sent.id), { description: "the event to reach the group", timeoutMs: 15_000 });
    } finally {
      await subscription.stop();
    }
    await bus.deadLetter("replicated-group", deliveryOf(namespace, envelope("replicas.broken")), "test");
    expect(await bus.deadLetterCount("replicated-group")).toBe(1);
  });
});
