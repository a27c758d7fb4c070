/**
 * The delivery log: one record per event and endpoint (`key` =
 * `<eventId>:<endpointId>`, unique), written when the event is consumed and
 * then worked through by every webhooks node:
 *
 *   pending --claim--> sending --2xx--> succeeded
 *      ^                  |
 *      +---- failed ------+--- schedule used up / endpoint disabled --> dead --retry--> pending
 *
 * A claim is a conditional write holding a lease: only its holder sends, and
 * a node that dies mid-send leaves a lease that runs out, after which any
 * node takes the record again (at least once: the receiver dedupes on
 * webhook-id). Deliveries of one endpoint about one order go in the order
 * their events happened: one waits while an earlier one is unfinished.
 */
import { isDuplicateKeyError, newId, type DbAdapter, type Doc, type IndexSpec } from "../../platform/db/db-adapter";
import type { AttemptResult } from "./webhook-sender";

export type DeliveryStatus = "pending" | "sending" | "succeeded" | "dead";

export interface DeliveryDoc {
  id: string;
  key: string;
  endpointId: string;
  eventId: string;
  event: string;
  /** webhook-id: the same on every attempt. */
  messageId: string;
  /** The JSON body, the same bytes on every attempt. */
  body: string;
  orderKey: string | null;
  /** When the event happened (ISO 8601) and its id: the order of one order's deliveries. */
  sequence: string;
  status: DeliveryStatus;
  attempts: number;
  /** ms since the epoch */
  nextAttemptAt: number;
  leaseUntil: number;
  lastStatusCode?: number;
  lastError?: string;
  lastResponseBody?: string;
  lastAttemptAt?: string;
  lastDurationMs?: number;
  /** Times an admin sent it again after it died. */
  retries: number;
  createdAt: string;
  finishedAt?: string;
}

export interface PublicDelivery {
  id: string;
  endpointId: string;
  event: string;
  messageId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastResponseBody: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  retries: number;
  createdAt: string;
  finishedAt: string | null;
}

export type NewDelivery = Pick<DeliveryDoc, "endpointId" | "eventId" | "event" | "messageId" | "body" | "orderKey"> & { occurredAt: string };

export const DELIVERY_INDEXES: IndexSpec[] = [
  { fields: ["key"], unique: true },
  { fields: ["status", "nextAttemptAt"] },
  { fields: ["endpointId", "createdAt"] },
  { fields: ["endpointId", "orderKey", "status"] },
];

const UNFINISHED = ["pending", "sending"];
const iso = (ms: number) => new Date(ms).toISOString();

export function publicDelivery(doc: DeliveryDoc): PublicDelivery {
  return {
    id: String(doc.id),
    endpointId: doc.endpointId,
    event: doc.event,
    messageId: doc.messageId,
    status: doc.status,
    attempts: doc.attempts,
    lastStatusCode: doc.lastStatusCode ?? null,
    lastError: doc.lastError ?? null,
    lastResponseBody: doc.lastResponseBody ?? null,
    lastAttemptAt: doc.lastAttemptAt ?? null,
    nextAttemptAt: doc.status === "pending" ? iso(doc.nextAttemptAt) : null,
    retries: doc.retries,
    createdAt: doc.createdAt,
    finishedAt: doc.finishedAt ?? null,
  };
}

/** Due now: pending and its time has come, or sending with a lease that ran out (its node died). */
const dueQuery = (now: number): Doc => ({
  $or: [
    { status: "pending", nextAttemptAt: { $lte: now } },
    { status: "sending", leaseUntil: { $lt: now } },
  ],
});

export class DeliveryLog {
  constructor(private readonly adapter: DbAdapter) {}

  private doc(raw: Doc | null): DeliveryDoc | null {
    return raw ? (this.adapter.afterRetrieveTransformID(raw, "id") as DeliveryDoc) : null;
  }

  /** The delivery of an event to an endpoint, written once however often the event comes. */
  async enqueue(spec: NewDelivery, now: number): Promise<DeliveryDoc> {
    const key = `${spec.eventId}:${spec.endpointId}`;
    const { occurredAt, ...rest } = spec;
    try {
      const doc = { _id: newId(), key, ...rest, sequence: `${occurredAt}|${spec.eventId}`, status: "pending", attempts: 0, nextAttemptAt: now, leaseUntil: 0, retries: 0, createdAt: iso(now) };
      return this.doc(await this.adapter.insert(doc)) as DeliveryDoc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return this.doc(await this.adapter.findOne({ key })) as DeliveryDoc;
    }
  }

  async byId(endpointId: string, id: string): Promise<DeliveryDoc | null> {
    return this.doc(await this.adapter.findOne({ _id: id, endpointId }));
  }

  /** The next due deliveries, oldest first. */
  async due(now: number, limit: number): Promise<DeliveryDoc[]> {
    const docs = await this.adapter.find({ query: dueQuery(now), sort: ["nextAttemptAt"], limit });
    return docs.map((raw) => this.doc(raw) as DeliveryDoc);
  }

  /** The earliest unfinished delivery of the same endpoint about the same order, if one comes before this one. */
  async earlierUnfinished(doc: DeliveryDoc): Promise<DeliveryDoc | null> {
    if (!doc.orderKey) return null;
    const [earlier] = await this.adapter.find({
      query: { endpointId: doc.endpointId, orderKey: doc.orderKey, status: { $in: UNFINISHED }, sequence: { $lt: doc.sequence } },
      sort: ["sequence"],
      limit: 1,
    });
    return this.doc(earlier ?? null);
  }

  /**
   * Not due before `at` (the attempt of the delivery it waits for): a waiting
   * delivery leaves the head of the due list instead of filling every batch.
   */
  async postpone(doc: DeliveryDoc, at: number): Promise<void> {
    await this.adapter.updateOneWhere({ _id: doc.id, status: "pending", nextAttemptAt: { $lt: at } }, { $set: { nextAttemptAt: at } });
  }

  /** This node sends it now (an attempt is counted), or null when another node took it first. */
  async claim(doc: DeliveryDoc, now: number, leaseMs: number): Promise<DeliveryDoc | null> {
    const filter = { _id: doc.id, ...dueQuery(now) };
    return this.doc(await this.adapter.updateOneWhere(filter, { $set: { status: "sending", leaseUntil: now + leaseMs }, $inc: { attempts: 1 } }));
  }

  /** The attempt's outcome: succeeded, pending again at `nextAttemptAt`, or dead (null). */
  async settle(doc: DeliveryDoc, result: AttemptResult, now: number, nextAttemptAt: number | null): Promise<DeliveryDoc | null> {
    const status: DeliveryStatus = result.ok ? "succeeded" : nextAttemptAt === null ? "dead" : "pending";
    const set: Doc = {
      status,
      lastAttemptAt: iso(now),
      lastDurationMs: Math.round(result.durationMs),
      lastStatusCode: result.statusCode ?? null,
      lastResponseBody: result.responseBody ?? null,
      lastError: result.error ?? (result.ok ? null : `answered ${result.statusCode}`),
      leaseUntil: 0,
      ...(status === "pending" ? { nextAttemptAt } : { finishedAt: iso(now) }),
    };
    // Only while this attempt still holds the record: a node whose lease ran out must not overwrite a newer attempt.
    return this.doc(await this.adapter.updateOneWhere({ _id: doc.id, status: "sending", attempts: doc.attempts }, { $set: set }));
  }

  /** Every unfinished delivery of an endpoint dies (it was disabled); answers how many. */
  async killUnfinished(endpointId: string, reason: string, now: number): Promise<number> {
    const docs = await this.adapter.find({ query: { endpointId, status: "pending" } });
    let killed = 0;
    for (const raw of docs) {
      const done = await this.adapter.updateOneWhere({ _id: raw._id, status: "pending" }, { $set: { status: "dead", lastError: reason, finishedAt: iso(now) } });
      if (done) killed++;
    }
    return killed;
  }

  /** A dead delivery goes out again now, with a fresh schedule; null when it is not dead. */
  async revive(endpointId: string, id: string, now: number): Promise<DeliveryDoc | null> {
    return this.doc(
      await this.adapter.updateOneWhere(
        { _id: id, endpointId, status: "dead" },
        { $set: { status: "pending", attempts: 0, nextAttemptAt: now, leaseUntil: 0 }, $unset: { finishedAt: 1 }, $inc: { retries: 1 } },
      ),
    );
  }

  async page(endpointId: string, status: DeliveryStatus | undefined, page: number, pageSize: number): Promise<{ rows: DeliveryDoc[]; total: number }> {
    const query = { endpointId, ...(status ? { status } : {}) };
    const [docs, total] = await Promise.all([
      this.adapter.find({ query, sort: ["-createdAt", "-_id"], offset: (page - 1) * pageSize, limit: pageSize }),
      this.adapter.count({ query }),
    ]);
    return { rows: docs.map((raw) => this.doc(raw) as DeliveryDoc), total };
  }

  /** Deliveries of the endpoint not yet finished: its backlog. */
  backlog(endpointId: string): Promise<number> {
    return this.adapter.count({ query: { endpointId, status: { $in: UNFINISHED } } });
  }

  async removeEndpoint(endpointId: string): Promise<number> {
    return this.adapter.removeMany({ endpointId });
  }
}
