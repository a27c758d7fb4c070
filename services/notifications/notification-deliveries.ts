/**
 * The delivery log: one record per event and channel (`key` =
 * `<eventId>:<channel>`, unique), so a redelivered event is not sent twice.
 *
 * Sending holds a lease: a record is `sending` until `leaseUntil`, and only
 * the holder sends. When a node dies mid-send, its lease runs out and the
 * event's redelivery takes the record over and sends (at least once: the
 * dead node may have handed the mail over just before it died; the mail's
 * Message-ID is the same both times). A failed send is recorded and retried
 * through the event's redelivery.
 *
 * A record that ended is kept DELIVERY_RETENTION_MS, longer than an event
 * stays in the stream (platform/events/jetstream.ts, 7 days): no redelivery
 * of its event can come after that, so nothing is sent twice for its lack.
 */
import { reasonText } from "../../platform/events/types";
import { isDuplicateKeyError, newId, type DbAdapter, type IndexSpec } from "../../platform/db/db-adapter";
import { sleep } from "../../platform/sleep";

export type DeliveryStatus = "sending" | "sent" | "skipped" | "failed";

export interface DeliveryDoc {
  id: string;
  key: string;
  eventId: string;
  channel: string;
  kind: string;
  userId: string;
  to: string | null;
  status: DeliveryStatus;
  attempts: number;
  /** ISO 8601 */
  leaseUntil: string;
  messageId?: string;
  lastError?: string;
  sentAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryTarget {
  eventId: string;
  channel: string;
  kind: string;
  userId: string;
  to: string | null;
}

export const DELIVERY_INDEXES: IndexSpec[] = [{ fields: ["key"], unique: true }];

/** Eight days: the stream keeps an event seven (docs/operations.md, "Retention"). */
export const DELIVERY_RETENTION_MS = 8 * 24 * 3600 * 1000;

/** How often a delivery waiting for another node's lease looks again. */
const POLL_MS = 100;

const iso = (ms: number) => new Date(ms).toISOString();

export class DeliveryLog {
  constructor(
    private readonly adapter: DbAdapter,
    /** Longer than one send can take (the channel bounds it). */
    private readonly leaseMs: number,
  ) {}

  /** Removes the records that ended (not one still sending) more than DELIVERY_RETENTION_MS before `now`; answers how many. */
  prune(now: number = Date.now()): Promise<number> {
    return this.adapter.removeMany({ status: { $ne: "sending" }, updatedAt: { $lt: iso(now - DELIVERY_RETENTION_MS) } });
  }

  async byKey(key: string): Promise<DeliveryDoc | null> {
    const doc = await this.adapter.findOne({ key });
    return doc ? (this.adapter.afterRetrieveTransformID(doc, "id") as DeliveryDoc) : null;
  }

  /**
   * Sends once per event and channel: answers the record as it ends (`sent`,
   * `skipped` without an address, or already done before). A failed send
   * throws, after recording it: the event's redelivery tries again.
   */
  async deliverOnce(target: DeliveryTarget, needsAddress: boolean, send: () => Promise<{ messageId: string }>): Promise<DeliveryDoc> {
    const record = await this.take(target);
    if ("done" in record) return record.done;
    const { doc } = record;
    if (needsAddress && !target.to) return this.finish(doc, { status: "skipped", lastError: "no mail address known for the user" });
    try {
      const { messageId } = await send();
      return await this.finish(doc, { status: "sent", messageId, sentAt: iso(Date.now()) });
    } catch (err) {
      await this.finish(doc, { status: "failed", lastError: reasonText(err) }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * The record, leased to this call; or `done` when there is nothing (more)
   * to send. While another node holds the lease, this waits for it (the
   * redelivery of an event whose first delivery is still sending) instead of
   * spending one of the event's deliveries on it.
   */
  private async take(target: DeliveryTarget): Promise<{ doc: DeliveryDoc } | { done: DeliveryDoc }> {
    const key = `${target.eventId}:${target.channel}`;
    for (;;) {
      const now = Date.now();
      const doc = await this.byKey(key);
      if (!doc) {
        const fresh = { key, ...target, status: "sending" as const, attempts: 1, leaseUntil: iso(now + this.leaseMs), createdAt: iso(now), updatedAt: iso(now) };
        try {
          const inserted = await this.adapter.insert({ _id: newId(), ...fresh });
          return { doc: this.adapter.afterRetrieveTransformID(inserted, "id") as DeliveryDoc };
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          continue; // another node created it first: look again
        }
      }
      if (doc.status === "sent" || doc.status === "skipped") return { done: doc };
      const held = Date.parse(doc.leaseUntil) - now;
      if (doc.status === "sending" && held > 0) {
        await sleep(Math.min(POLL_MS, held));
        continue;
      }
      // A failed send, or a lease its holder did not come back to: this call takes it over.
      const taken = await this.adapter.updateOneWhere(
        { _id: doc.id, status: doc.status, leaseUntil: doc.leaseUntil },
        { $set: { status: "sending", to: target.to, leaseUntil: iso(now + this.leaseMs), updatedAt: iso(now) }, $inc: { attempts: 1 } },
      );
      if (taken) return { doc: this.adapter.afterRetrieveTransformID(taken, "id") as DeliveryDoc };
    }
  }

  private async finish(doc: DeliveryDoc, change: Partial<DeliveryDoc>): Promise<DeliveryDoc> {
    const updated = await this.adapter.updateOneWhere({ _id: doc.id, status: "sending" }, { $set: { ...change, updatedAt: iso(Date.now()) } });
    return updated ? (this.adapter.afterRetrieveTransformID(updated, "id") as DeliveryDoc) : { ...doc, ...change };
  }
}
