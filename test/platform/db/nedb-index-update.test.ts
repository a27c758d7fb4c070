/**
 * An update that keeps a document's indexed values leaves the index trees
 * alone: the new version takes the old one's place (platform/db/nedb-index-update.ts).
 * Whatever path an update takes, every index answers the current version of
 * every document, and a refused update (a unique value taken) leaves every
 * index as it was.
 */
import { createAdapter, isDuplicateKeyError, type DbAdapter } from "../../../platform/db/db-adapter";

interface Tree {
  insert(key: unknown, value: unknown): void;
  delete(key: unknown, value?: unknown): void;
}
interface NeDbIndex {
  tree: Tree;
  getMatching(value: unknown): Record<string, unknown>[];
}

let adapter: DbAdapter & { updateMany(query: object, update: object): Promise<number> };
const indexes = () => (adapter as unknown as { db: { indexes: Record<string, NeDbIndex> } }).db.indexes;
/** What each index answers for `value`: the documents' `n`, sorted. */
const matching = (field: string, value: unknown) =>
  indexes()[field]
    .getMatching(value)
    .map((doc) => doc.n)
    .sort();

/** Counts the tree operations of every index from now on. */
function treeOperations(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [field, index] of Object.entries(indexes())) {
    // The tree object is replaced when its root changes: wrap the wrapper's methods.
    const tree = index.tree;
    const insert = tree.insert.bind(tree);
    const remove = tree.delete.bind(tree);
    tree.insert = (key, value) => {
      counts[field] = (counts[field] ?? 0) + 1;
      insert(key, value);
    };
    tree.delete = (key, value) => {
      counts[field] = (counts[field] ?? 0) + 1;
      remove(key, value);
    };
  }
  return counts;
}

beforeEach(async () => {
  adapter = createAdapter({ collection: "things", database: "things" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "" }) as typeof adapter;
  adapter.init({}, { schema: {} });
  await adapter.connect();
  await adapter.ensureIndexes([{ fields: ["sku"], unique: true }, { fields: ["status"] }, { fields: ["mark"], sparse: true }]);
  for (let n = 0; n < 10; n++) await adapter.insert({ _id: `t-${n}`, sku: `SKU-${n}`, status: n < 5 ? "open" : "closed", n });
});

afterEach(async () => {
  await adapter.disconnect();
});

describe("NeDB indexes on update", () => {
  it("keep a document in its place in every tree when no indexed value changes", async () => {
    const operations = treeOperations();
    const updated = await adapter.updateOneWhere({ _id: "t-3" }, { $set: { price: 100 } });
    expect(updated).toMatchObject({ _id: "t-3", price: 100 });
    expect(operations).toEqual({});
    // Each index answers the new version, and only it.
    expect(indexes()._id.getMatching("t-3")).toEqual([expect.objectContaining({ price: 100 })]);
    expect(indexes().sku.getMatching("SKU-3")).toEqual([expect.objectContaining({ price: 100 })]);
    expect(indexes().status.getMatching("open").filter((doc) => doc._id === "t-3")).toEqual([expect.objectContaining({ price: 100 })]);
    expect(await adapter.findOne({ sku: "SKU-3" })).toMatchObject({ price: 100 });
    expect(await adapter.find({ query: { status: "open", price: 100 } })).toEqual([expect.objectContaining({ _id: "t-3" })]);
  });

  it("move a document to its new key in the indexes whose value changed, and only those", async () => {
    const operations = treeOperations();
    await adapter.updateOneWhere({ _id: "t-1" }, { $set: { status: "closed" } });
    expect(operations).toEqual({ status: 2 });
    expect(matching("status", "open")).toEqual([0, 2, 3, 4]);
    expect(matching("status", "closed")).toEqual([1, 5, 6, 7, 8, 9]);
    expect(await adapter.count({ query: { status: "closed" } })).toBe(6);
  });

  it("add and drop a document in a sparse index as its field comes and goes", async () => {
    await adapter.updateOneWhere({ _id: "t-2" }, { $set: { mark: "x" } });
    expect(matching("mark", "x")).toEqual([2]);
    await adapter.updateOneWhere({ _id: "t-2" }, { $set: { n: 20 } });
    expect(matching("mark", "x")).toEqual([20]);
    await adapter.updateOneWhere({ _id: "t-2" }, { $unset: { mark: true } });
    expect(matching("mark", "x")).toEqual([]);
  });

  it("update many documents at once, some kept in place and some moved", async () => {
    expect(await adapter.updateMany({ status: "open" }, { $set: { touched: true } })).toBe(5);
    expect(await adapter.updateMany({ n: { $in: [4, 5] } }, { $set: { status: "held" } })).toBe(2);
    expect(matching("status", "open")).toEqual([0, 1, 2, 3]);
    expect(matching("status", "held")).toEqual([4, 5]);
    expect(indexes().status.getMatching("held").every((doc) => Boolean(doc.touched) === (doc.n === 4))).toBe(true);
    expect(await adapter.count({ query: { touched: true } })).toBe(5);
  });

  it("refuse an update to a unique value that is taken, leaving every index as it was", async () => {
    const operations = treeOperations();
    const refused = await adapter.updateOneWhere({ _id: "t-6" }, { $set: { sku: "SKU-7", price: 1 } }).catch((err: unknown) => err);
    expect(isDuplicateKeyError(refused)).toBe(true);
    expect(operations.sku).toBeGreaterThan(0);
    expect(indexes()._id.getMatching("t-6")).toEqual([expect.not.objectContaining({ price: 1 })]);
    expect(matching("sku", "SKU-6")).toEqual([6]);
    expect(matching("sku", "SKU-7")).toEqual([7]);
    expect(matching("status", "closed")).toEqual([5, 6, 7, 8, 9]);
    expect(indexes().status.getMatching("closed").some((doc) => doc.price === 1)).toBe(false);
    expect(await adapter.findOne({ _id: "t-6" })).toMatchObject({ sku: "SKU-6", n: 6 });
    expect(await adapter.findOne({ _id: "t-6" })).not.toHaveProperty("price");
  });

  it("roll back, in one index, the documents kept in place when another document of the same update is refused", async () => {
    // t-7 keeps its sku (in place), t-6 would take it (refused): neither change stays.
    const refused = await adapter.updateMany({ n: { $in: [6, 7] } }, { $set: { sku: "SKU-7", price: 1 } }).catch((err: unknown) => err);
    expect(isDuplicateKeyError(refused)).toBe(true);
    for (const field of ["_id", "sku", "status"]) {
      const versions = Object.values(indexes()[field].getMatching(field === "_id" ? "t-7" : field === "sku" ? "SKU-7" : "closed"));
      expect({ field, withPrice: versions.filter((doc) => doc.price !== undefined).length }).toEqual({ field, withPrice: 0 });
    }
    expect(matching("sku", "SKU-6")).toEqual([6]);
    expect(await adapter.find({ query: { price: 1 } })).toEqual([]);
  });
});
