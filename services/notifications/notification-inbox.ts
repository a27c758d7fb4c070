/**
 * The users' inboxes: one entry per event and kind, whatever how often the
 * event is delivered. `key` (`<eventId>:<kind>`) is unique: one field rather
 * than a compound index, because NeDB indexes only one field.
 */
import { isDuplicateKeyError, newId, type DbAdapter, type IndexSpec } from "../../platform/db/db-adapter";
import type { NotificationKind } from "./notification-templates";
import { toPage } from "../../contracts/paging";

export interface NotificationDoc {
  id: string;
  key: string;
  eventId: string;
  event: string;
  kind: NotificationKind;
  userId: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  /** When the event happened (ISO 8601): the inbox's order. */
  occurredAt: string;
  createdAt: string;
}

export type PublicNotification = Pick<NotificationDoc, "id" | "kind" | "title" | "body" | "data" | "occurredAt" | "createdAt">;

export interface InboxPage {
  rows: PublicNotification[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

export const INBOX_INDEXES: IndexSpec[] = [
  { fields: ["key"], unique: true },
  { fields: ["userId", "occurredAt"] },
];

export function toPublicNotification(doc: NotificationDoc): PublicNotification {
  return { id: String(doc.id), kind: doc.kind, title: doc.title, body: doc.body, data: { ...doc.data }, occurredAt: doc.occurredAt, createdAt: doc.createdAt };
}

export class Inbox {
  constructor(private readonly adapter: DbAdapter) {}

  private async byKey(key: string): Promise<NotificationDoc | null> {
    const doc = await this.adapter.findOne({ key });
    return doc ? (this.adapter.afterRetrieveTransformID(doc, "id") as NotificationDoc) : null;
  }

  /** Stores the entry unless the event already has one; `created` says which. */
  async storeOnce(entry: Omit<NotificationDoc, "id" | "key" | "createdAt">): Promise<{ doc: NotificationDoc; created: boolean }> {
    const key = `${entry.eventId}:${entry.kind}`;
    // Looked up first: a redelivery is the common duplicate, and a store without a unique index (the test emulator) still holds.
    const existing = await this.byKey(key);
    if (existing) return { doc: existing, created: false };
    try {
      const inserted = await this.adapter.insert({ _id: newId(), key, ...entry, createdAt: new Date().toISOString() });
      return { doc: this.adapter.afterRetrieveTransformID(inserted, "id") as NotificationDoc, created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Another node stored it at the same moment (a redelivery racing the first delivery).
      return { doc: (await this.byKey(key)) as NotificationDoc, created: false };
    }
  }

  /** A user's notifications, newest first; the id breaks ties so pages neither repeat nor skip. */
  async page(userId: string, page: number, pageSize: number): Promise<InboxPage> {
    const query = { userId };
    const [docs, total] = await Promise.all([
      this.adapter.find({ query, sort: ["-occurredAt", "-_id"], offset: (page - 1) * pageSize, limit: pageSize }),
      this.adapter.count({ query }),
    ]);
    const rows = docs.map((doc) => toPublicNotification(this.adapter.afterRetrieveTransformID(doc, "id") as NotificationDoc));
    return toPage(rows, total, page, pageSize);
  }
}
