/**
 * The contacts read model (services/notifications/notification-contacts.ts)
 * writes only what is new: every order event carries the customer's
 * address, and writing it unchanged on each one was a write per order.
 */
import type { DbAdapter } from "../../platform/db/db-adapter";
import { memoryStore } from "../support/memory-store";
import { CONTACT_INDEXES, Contacts } from "../../services/notifications/notification-contacts";

let store: DbAdapter;
let writes: string[];

beforeEach(async () => {
  store = await memoryStore("contacts", CONTACT_INDEXES);
  writes = [];
  const insert = store.insert.bind(store);
  const update = store.updateOneWhere.bind(store);
  store.insert = (doc) => (writes.push("insert"), insert(doc));
  store.updateOneWhere = (filter, change) => (writes.push("update"), update(filter, change));
});

afterEach(async () => {
  await store.disconnect();
});

describe("learning a contact", () => {
  it("writes a new address or name, and nothing for one already known as it is", async () => {
    const contacts = new Contacts(store);
    await contacts.learn({ userId: "u1", email: "ada@example.com", name: "Ada" });
    expect(writes.filter((w) => w === "insert")).toHaveLength(1);
    writes = [];

    await contacts.learn({ userId: "u1", email: "ada@example.com", name: "Ada" });
    await contacts.learn({ userId: "u1", email: "ada@example.com" });
    expect(writes).toEqual([]);

    await contacts.learn({ userId: "u1", email: "ada@example.org" });
    await contacts.learn({ userId: "u1", email: "ada@example.org", name: "Ada L." });
    expect(writes).toEqual(["update", "update"]);
    await expect(contacts.complete({ userId: "u1" })).resolves.toEqual({ userId: "u1", email: "ada@example.org", name: "Ada L." });
  });
});
