/**
 * The cluster's bus: NATS JetStream on a private nats-server, consumers on
 * brokers of their own as separate nodes would be. The shared suite, then
 * what only JetStream shows: where events and dead letters are kept.
 */
import { connect, type NatsConnection } from "nats";
import type { EventEnvelope } from "../../platform/events/types";
import { eventNames } from "../../platform/events/names";
import { waitUntil } from "../support/wait-until";
import { describeBusContract } from "./support/bus-contract";
import { startBusHarness, type BusHarness } from "./support/bus-harness";

describeBusContract("nats");

describe("JetStream layout of durable events", () => {
  let harness: BusHarness;
  let nc: NatsConnection;

  beforeAll(async () => {
    harness = await startBusHarness("nats");
    nc = await connect({ servers: harness.natsUrl as string });
  }, 30_000);

  afterAll(async () => {
    await nc?.close();
    await harness?.stop();
  });

  it("names streams, subjects and the consumer after the namespace and the group", () => {
    const names = eventNames("shop");
    expect(names).toMatchObject({ eventsStream: "SHOP_EVENTS", deadLetterStream: "SHOP_DLQ", allEvents: "shop.events.>" });
    expect(names.eventSubject("order.paid")).toBe("shop.events.order.paid");
    expect(names.deadLetterSubject("notifications", "order.paid")).toBe("shop.dlq.notifications.order.paid");
    expect(names.consumer("v2.orders")).toBe("v2_orders");
  });

  it("keeps events in a file-backed stream with one durable consumer per group", async () => {
    await harness.startConsumer("layout-group", { "layout.seen": () => undefined });
    const names = eventNames(harness.namespace);
    const jsm = await nc.jetstreamManager();
    const stream = await jsm.streams.info(names.eventsStream);
    expect(stream.config).toMatchObject({ subjects: [names.allEvents], storage: "file" });
    const consumer = await jsm.consumers.info(names.eventsStream, "layout-group");
    expect(consumer.config).toMatchObject({ durable_name: "layout-group", ack_policy: "explicit", deliver_policy: "all", filter_subject: names.allEvents });
  });

  it("stores a dead letter on <namespace>.dlq.<group>.<event>, also a message that is no event at all", async () => {
    const names = eventNames(harness.namespace);
    const consumer = await harness.startConsumer("layout-dlq", {
      "layout.broken": () => {
        throw new Error("never works");
      },
    }, { maxDeliveries: 2 });
    const broken: EventEnvelope = await harness.publish("layout.broken", {});
    await nc.jetstream().publish(names.eventSubject("layout.garbage"), new TextEncoder().encode("{not json"));
    await waitUntil(async () => (await consumer.service.deadLetters()).length === 2, { description: "2 dead letters", timeoutMs: 20_000 });

    const jsm = await nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(names.deadLetterStream, { last_by_subj: names.deadLetterSubject("layout-dlq", "layout.broken") });
    expect(JSON.parse(new TextDecoder().decode(stored.data))).toMatchObject({ id: broken.id, event: "layout.broken" });
    expect(stored.header.get("Shop-Dead-Reason")).toBe("Error: never works");
    const letters = await consumer.service.deadLetters();
    expect(letters.find((l) => l.event === "layout.garbage")).toMatchObject({ envelope: null, deliveries: 1, reason: "unreadable message (not an event envelope)" });
  });
});
