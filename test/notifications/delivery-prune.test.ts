/**
 * Delivery records are kept DELIVERY_RETENTION_MS (8 days: an event stays
 * 7 in the stream, so no redelivery can come later) after they ended, then
 * pruned (services/notifications/notification-deliveries.ts); a record still
 * sending is never pruned. The clock of the prune is injected: no waiting.
 */
import { newId, type DbAdapter } from "../../platform/db/db-adapter";
import { memoryStore } from "../support/memory-store";
import { DELIVERY_INDEXES, DELIVERY_RETENTION_MS, DeliveryLog, type DeliveryDoc } from "../../services/notifications/notification-deliveries";

let store: DbAdapter;
let log: DeliveryLog;

beforeEach(async () => {
  store = await memoryStore("deliveries", DELIVERY_INDEXES);
  log = new DeliveryLog(store, 60_000);
});

afterEach(async () => {
  await store.disconnect();
});

const target = (eventId: string) => ({ eventId, channel: "email", kind: "order.paid", userId: "u1", to: "ada@example.com" });
const keys = async () => ((await store.find({})) as DeliveryDoc[]).map((doc) => doc.key).sort();

describe("pruning delivery records", () => {
  it("removes ended records 8 days after they ended, not before, and never one still sending", async () => {
    const sent = await log.deliverOnce(target("e-sent"), true, async () => ({ messageId: "<m1@shop>" }));
    expect(sent.status).toBe("sent");
    const endedAt = Date.parse(sent.updatedAt);
    const at = new Date(endedAt).toISOString();
    await store.insert({ _id: newId(), key: "e-sending:email", ...target("e-sending"), status: "sending", attempts: 1, leaseUntil: at, createdAt: at, updatedAt: at });
    await store.insert({ _id: newId(), key: "e-failed:email", ...target("e-failed"), status: "failed", attempts: 3, leaseUntil: at, createdAt: at, updatedAt: at });

    expect(await log.prune(endedAt + DELIVERY_RETENTION_MS)).toBe(0);
    expect(await keys()).toEqual(["e-failed:email", "e-sending:email", "e-sent:email"]);

    expect(await log.prune(endedAt + DELIVERY_RETENTION_MS + 1)).toBe(2);
    expect(await keys()).toEqual(["e-sending:email"]);
  });
});
