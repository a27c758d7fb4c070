/**
 * The transactional outbox of a producing service, in its own database next
 * to the state it changes (NeDB or MongoDB, neither with transactions here).
 *
 * "In the same step as the state change" without a transaction is done by
 * writing ahead:
 *
 *   1. the event goes into the outbox as `pending` (nothing is published yet);
 *   2. the state change runs, and marks the changed document with the event id
 *      (`$push: { outboxEvents: id }`, see outboxMark) in the same write;
 *   3. the producer publishes it and marks it `sent` (the relay's claim
 *      and its query for due entries are not needed for that); if that
 *      publish fails, the entry becomes `ready` and the relay publishes it.
 *
 * A crash after 1 leaves a `pending` entry, and the relay asks whether its
 * change is visible (the marked document exists): yes, it is published; no,
 * and old enough that no write can still be under way, it becomes `void`.
 * So the event is never lost once the change is stored, and never published
 * for a change that did not happen. Publishing is at least once (a crash
 * between the publish and `sent` publishes again): consumers dedupe on the
 * event id, which is the entry's id, and JetStream drops a second publish of
 * it within its duplicate window.
 *
 * `publishDurable` skips step 1-2 (the entry is `ready` at once, claimed by
 * its producer while it publishes it), for events
 * that are themselves the fact to record, or whose change is already stored
 * and idempotently repeated by its caller.
 *
 * An event that happens once per thing (an order is paid once) takes its id
 * from that thing (outboxEventId): a producer that repeats the event after a
 * crash writes the same entry again, never a second event with a new id.
 *
 * A payload made from the changed document (an order as it is after the
 * change) is written at step 3; after a crash the relay makes it from the
 * marked document (the producer's `payloadOf`).
 */
import { createHash } from "node:crypto";
import { isDuplicateKeyError, type DbAdapter, type IndexSpec } from "../db/db-adapter";
import type { EventEnvelope } from "./types";

export type OutboxStatus = "pending" | "ready" | "sent" | "void";

export interface OutboxDoc {
  id: string;
  event: string;
  /** null while a pending entry waits for the change its payload is made from. */
  payload: unknown;
  status: OutboxStatus;
  /** Full name of the producing service. */
  source: string;
  requestId?: string;
  /** ISO 8601; also the envelope's occurredAt. */
  occurredAt: string;
  /** The relay that claimed it publishes until then; others wait (ISO 8601). */
  claimedUntil: string;
  attempts: number;
  lastError?: string;
  sentAt?: string;
  updatedAt: string;
}

/** The field of the changed document that names the events written with it. */
export const OUTBOX_MARK_FIELD = "outboxEvents";

/** For the state change's update: `{ $set: {...}, $push: outboxMark(eventId) }`, or `[eventId]` in an inserted doc. */
export function outboxMark(eventId: string): Record<string, string> {
  return { [OUTBOX_MARK_FIELD]: eventId };
}

/** NeDB indexes the first field only: status narrows the relay's queries enough. */
export const OUTBOX_INDEXES: IndexSpec[] = [{ fields: ["status", "claimedUntil"] }];

const iso = (ms: number) => new Date(ms).toISOString();

/** The id of the one `event` of `source` about `key` (24 hex, like every id here). */
export function outboxEventId(source: string, event: string, key: string): string {
  return createHash("sha256").update(`${source}\n${event}\n${key}`).digest("hex").slice(0, 24);
}

export function toEnvelope(doc: Pick<OutboxDoc, "id" | "event" | "payload" | "occurredAt" | "requestId" | "source">): EventEnvelope {
  return {
    id: String(doc.id),
    event: doc.event,
    payload: doc.payload,
    occurredAt: doc.occurredAt,
    ...(doc.requestId ? { requestId: doc.requestId } : {}),
    source: doc.source,
  };
}

/**
 * A sent entry is kept a day (the event itself stays in the stream 7 days,
 * platform/events/jetstream.ts): enough to see what a node published lately.
 * A void one (a change that never happened) is kept 7 days for whoever
 * investigates why. docs/operations.md, "Retention".
 */
export const SENT_RETENTION_MS = 24 * 3600 * 1000;
export const VOID_RETENTION_MS = 7 * 24 * 3600 * 1000;

export class OutboxStore {
  constructor(private readonly adapter: DbAdapter) {}

  /** Writes the entry; false when an entry with its id is there already (the same event, written before). */
  async add(
    entry: { id: string; event: string; payload: unknown; status: "pending" | "ready"; source: string; requestId?: string; claimedUntil?: number },
    now = Date.now(),
  ): Promise<boolean> {
    const at = iso(now);
    const doc = {
      _id: entry.id,
      event: entry.event,
      payload: entry.payload,
      status: entry.status,
      source: entry.source,
      ...(entry.requestId ? { requestId: entry.requestId } : {}),
      occurredAt: at,
      // A ready entry its producer publishes itself is claimed by it: relays leave it alone meanwhile.
      claimedUntil: entry.claimedUntil === undefined ? at : iso(entry.claimedUntil),
      attempts: 0,
      updatedAt: at,
    };
    try {
      await this.adapter.insert(doc);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** The producer saw its change stored: publishable, also if the relay gave up on it meanwhile. */
  async markReady(id: string, payload?: unknown, now = Date.now()): Promise<boolean> {
    const set = { status: "ready", updatedAt: iso(now), ...(payload === undefined ? {} : { payload }) };
    return Boolean(await this.adapter.updateOneWhere({ _id: id, status: { $in: ["pending", "void"] } }, { $set: set }));
  }

  /** The relay found the change of a pending entry: publishable (with the payload made from it, when it had none). */
  async confirm(id: string, payload?: unknown, now = Date.now()): Promise<boolean> {
    const set = { status: "ready", updatedAt: iso(now), ...(payload === undefined ? {} : { payload }) };
    return Boolean(await this.adapter.updateOneWhere({ _id: id, status: "pending" }, { $set: set }));
  }

  /** The change did not happen: the entry is dropped. */
  async discard(id: string): Promise<void> {
    await this.adapter.removeMany({ _id: id, status: "pending" });
  }

  /** A pending entry whose change never became visible; kept a while for whoever looks. */
  async abandon(id: string, now = Date.now()): Promise<boolean> {
    return Boolean(await this.adapter.updateOneWhere({ _id: id, status: "pending" }, { $set: { status: "void", updatedAt: iso(now) } }));
  }

  /** Ready entries nobody is publishing, oldest first. */
  async due(limit: number, now = Date.now()): Promise<OutboxDoc[]> {
    const docs = await this.adapter.find({ query: { status: "ready", claimedUntil: { $lte: iso(now) } }, sort: ["occurredAt", "_id"], limit });
    return docs.map((doc) => this.adapter.afterRetrieveTransformID(doc, "id") as OutboxDoc);
  }

  /** Pending entries written before `before`: their producer should have settled them by now. */
  async unsettled(limit: number, before: number): Promise<OutboxDoc[]> {
    const docs = await this.adapter.find({ query: { status: "pending", occurredAt: { $lte: iso(before) } }, sort: ["occurredAt", "_id"], limit });
    return docs.map((doc) => this.adapter.afterRetrieveTransformID(doc, "id") as OutboxDoc);
  }

  /** Takes the entry for one relay until `now + leaseMs`; false when another relay took it first. */
  async claim(doc: OutboxDoc, leaseMs: number, now = Date.now()): Promise<boolean> {
    const claimed = await this.adapter.updateOneWhere(
      { _id: doc.id, status: "ready", claimedUntil: doc.claimedUntil },
      { $set: { claimedUntil: iso(now + leaseMs), updatedAt: iso(now) }, $inc: { attempts: 1 } },
    );
    return Boolean(claimed);
  }

  async sent(id: string, now = Date.now()): Promise<void> {
    await this.markSent({ _id: id }, now);
  }

  /**
   * The producer published the entry itself (OutboxRelay.deliver), while it
   * was still `from`: sent, unless a relay took it over meanwhile (then the
   * relay publishes it again and marks it). false: it had.
   */
  async sentFrom(id: string, from: "pending" | "ready", now = Date.now()): Promise<boolean> {
    return this.markSent({ _id: id, status: from }, now);
  }

  private async markSent(filter: Record<string, unknown>, now: number): Promise<boolean> {
    return Boolean(await this.adapter.updateOneWhere(filter, { $set: { status: "sent", sentAt: iso(now), updatedAt: iso(now) }, $unset: { lastError: 1 } }));
  }

  /** The producer's own publish of a pending entry failed: ready, for the relay to try again after `retryMs`. */
  async readyForRetry(id: string, payload: unknown, error: string, retryMs: number, now = Date.now()): Promise<boolean> {
    const set = { status: "ready", payload, claimedUntil: iso(now + retryMs), lastError: error, updatedAt: iso(now) };
    return Boolean(await this.adapter.updateOneWhere({ _id: id, status: { $in: ["pending", "void"] } }, { $set: set }));
  }

  /** Publishing failed: try again after `retryMs`. */
  async failed(id: string, error: string, retryMs: number, now = Date.now()): Promise<void> {
    await this.adapter.updateOneWhere({ _id: id, status: "ready" }, { $set: { claimedUntil: iso(now + retryMs), lastError: error, updatedAt: iso(now) } });
  }

  /**
   * Removes history as of `now`: entries sent more than SENT_RETENTION_MS
   * ago, void ones after VOID_RETENTION_MS; answers how many.
   */
  async prune(now: number): Promise<number> {
    const sent = await this.adapter.removeMany({ status: "sent", updatedAt: { $lt: iso(now - SENT_RETENTION_MS) } });
    return sent + (await this.adapter.removeMany({ status: "void", updatedAt: { $lt: iso(now - VOID_RETENTION_MS) } }));
  }

  /** The ready entry waiting longest to be published (its change is stored), or null. */
  async oldestReady(): Promise<OutboxDoc | null> {
    const [oldest] = await this.adapter.find({ query: { status: "ready" }, sort: ["occurredAt", "_id"], limit: 1 });
    return oldest ? (this.adapter.afterRetrieveTransformID(oldest, "id") as OutboxDoc) : null;
  }

  /** What waits to go out: ready entries (change stored, not yet published) and pending ones (a producer still at it). */
  async backlog(): Promise<{ ready: number; pending: number }> {
    const [ready, pending] = await Promise.all([this.adapter.count({ query: { status: "ready" } }), this.adapter.count({ query: { status: "pending" } })]);
    return { ready, pending };
  }

  async byId(id: string): Promise<OutboxDoc | null> {
    const doc = await this.adapter.findOne({ _id: id });
    return doc ? (this.adapter.afterRetrieveTransformID(doc, "id") as OutboxDoc) : null;
  }
}
