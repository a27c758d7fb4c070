/**
 * Mail addresses of users, as the notifications service learns them from
 * events (user.registered, and order events that carry `email`). The users
 * service owns users; this is a read model of the one field mail needs, for
 * events that do not carry it (payment.refunded).
 */
import { isDuplicateKeyError, newId, type DbAdapter, type IndexSpec } from "../../platform/db/db-adapter";
import type { Recipient } from "./notification-events";

export interface ContactDoc {
  id: string;
  userId: string;
  email: string;
  name?: string;
  updatedAt: string;
}

export const CONTACT_INDEXES: IndexSpec[] = [{ fields: ["userId"], unique: true }];

export class Contacts {
  constructor(private readonly adapter: DbAdapter) {}

  /**
   * Keeps the latest address (and name) of a user; a recipient without an
   * address changes nothing, and neither does one already known as it is
   * (every order event carries the address: most of them tell nothing new,
   * and a read costs less than a write).
   */
  async learn(recipient: Recipient): Promise<void> {
    if (!recipient.email) return;
    const known = (await this.adapter.findOne({ userId: recipient.userId })) as ContactDoc | null;
    if (known && known.email === recipient.email && (!recipient.name || known.name === recipient.name)) return;
    const set = { email: recipient.email, ...(recipient.name ? { name: recipient.name } : {}), updatedAt: new Date().toISOString() };
    if (await this.adapter.updateOneWhere({ userId: recipient.userId }, { $set: set })) return;
    try {
      await this.adapter.insert({ _id: newId(), userId: recipient.userId, ...set });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      await this.adapter.updateOneWhere({ userId: recipient.userId }, { $set: set });
    }
  }

  /** The recipient completed from what is known of the user. */
  async complete(recipient: Recipient): Promise<Recipient> {
    if (recipient.email && recipient.name) return recipient;
    const doc = (await this.adapter.findOne({ userId: recipient.userId })) as ContactDoc | null;
    if (!doc) return recipient;
    return { ...recipient, email: recipient.email ?? doc.email, name: recipient.name ?? doc.name };
  }
}
