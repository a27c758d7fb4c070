/**
 * A notifications node is killed (SIGKILL) in the middle of a batch: the
 * events it held go to the other node of the group, and every event still
 * ends as exactly one inbox entry and exactly one mail.
 *
 * To kill it mid-send deterministically, the SMTP sink holds every mail
 * unanswered; the victim is killed while its sends wait there, so none of
 * them was ever accepted, and the sink is released afterwards.
 */
import type { ClusterNode } from "../support/cluster";
import { waitUntil } from "../support/wait-until";
import type { EventEnvelope } from "../../platform/events/types";
import { occurrences, orderPaidFor, startNotificationsCluster, type NotificationsCluster } from "./support/notifications-cluster";

const EVENTS = 20;

describe("a notifications node killed while it handles a batch", () => {
  let platform: NotificationsCluster;
  let victim: ClusterNode;

  beforeAll(async () => {
    platform = await startNotificationsCluster([{ services: ["notifications"], name: "victim" }]);
    [victim] = platform.cluster.nodes;
  }, 90_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it("hands the rest of the batch to the other node, each event once in the inbox and in the mailbox", async () => {
    const { sink, cluster } = platform;
    sink.hold();
    const sent: EventEnvelope[] = [];
    for (let n = 0; n < EVENTS; n++) sent.push(await platform.publish("order.paid", orderPaidFor(n)));
    await waitUntil(() => sink.held() >= 1, { description: "the victim to be sending", timeoutMs: 20_000 });

    const heldByVictim = sink.held();
    await cluster.addNode({ services: ["notifications"], name: "survivor" });
    await victim.kill();
    await waitUntil(() => sink.heldFromGone() >= heldByVictim, { description: "the sink to see the victim's connections drop", timeoutMs: 10_000 });
    // Mails on hold from the survivor are accepted now; the victim's never will be.
    sink.release();

    await waitUntil(() => new Set(sink.mails().map((m) => m.eventId)).size === EVENTS, { description: `${EVENTS} mails`, timeoutMs: 60_000 });
    await platform.settled();

    const mails = occurrences(sink.mails().map((m) => m.eventId));
    expect(sent.map((e) => mails.get(e.id))).toEqual(sent.map(() => 1));
    const inbox = occurrences((await platform.stored("notifications")).map((doc) => doc.eventId));
    expect(sent.map((e) => inbox.get(e.id))).toEqual(sent.map(() => 1));
    const deliveries = await platform.stored("deliveries");
    expect(deliveries).toHaveLength(EVENTS);
    expect(deliveries.every((d) => d.status === "sent")).toBe(true);
    // The victim really had a share: some deliveries needed a second attempt, by the survivor.
    expect(deliveries.some((d) => d.attempts > 1)).toBe(true);
  });
});
