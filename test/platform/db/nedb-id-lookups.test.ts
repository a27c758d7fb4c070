/**
 * NeDB takes a query's candidates from the index of one plain-valued field
 * (the last one it finds) and matches the rest against each candidate. A
 * query naming `_id` must take its candidates from `_id` (one document),
 * not from a field many documents share, or every conditional update of an
 * order scans all orders in its status (platform/db/nedb-adapter.ts).
 */
import { createAdapter, type DbAdapter } from "../../../platform/db/db-adapter";

interface NeDbIndex {
  getMatching(value: unknown): unknown[];
}

let adapter: DbAdapter;
let statusLookups: unknown[];

beforeEach(async () => {
  adapter = createAdapter({ collection: "orders", database: "orders" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "" });
  adapter.init({}, { schema: {} });
  await adapter.connect();
  await adapter.ensureIndexes([{ fields: ["status"] }]);
  for (let i = 0; i < 20; i++) await adapter.insert({ _id: `order-${i}`, status: "paid", n: i });
  const index = (adapter as unknown as { db: { indexes: Record<string, NeDbIndex> } }).db.indexes.status;
  const lookup = index.getMatching.bind(index);
  statusLookups = [];
  index.getMatching = (value) => {
    statusLookups.push(value);
    return lookup(value);
  };
});

afterEach(async () => {
  await adapter.disconnect();
});

describe("NeDB queries that name an _id", () => {
  it("update the one document by its id, without going through every document of its status", async () => {
    const updated = await adapter.updateOneWhere({ _id: "order-7", status: "paid" }, { $set: { n: 70 } });
    expect(updated).toMatchObject({ _id: "order-7", n: 70 });
    expect(await adapter.updateOneWhere({ _id: "order-8", status: "pending" }, { $set: { n: 80 } })).toBeNull();
    expect(statusLookups).toEqual([]);
  });

  it("find, count and remove by id and status the same way, with the same answers", async () => {
    expect(await adapter.findOne({ _id: "order-3", status: "paid" })).toMatchObject({ n: 3 });
    expect(await adapter.find({ query: { _id: "order-4", status: "paid" } })).toEqual([expect.objectContaining({ n: 4 })]);
    expect(await adapter.count({ query: { _id: "order-5", status: "paid" } })).toBe(1);
    expect(await adapter.removeMany({ _id: "order-6", status: "paid" })).toBe(1);
    expect(statusLookups).toEqual([]);
    expect(await adapter.count({ query: { status: "paid" } })).toBe(19);
    expect(statusLookups).toEqual(["paid"]);
  });
});
