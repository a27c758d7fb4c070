/**
 * The embedded adapter answers moleculer-db's calls from NeDB's own promise
 * API (platform/db/nedb-adapter.ts), with the answers the stock adapter gives.
 */
import { createAdapter } from "../../../platform/db/db-adapter";

type Adapter = ReturnType<typeof createAdapter> & {
  findById(id: string): Promise<Record<string, unknown> | null>;
  findByIds(ids: string[]): Promise<Record<string, unknown>[]>;
  insertMany(docs: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  updateById(id: string, update: object): Promise<Record<string, unknown> | null>;
  updateMany(query: object, update: object): Promise<number>;
  removeById(id: string): Promise<number>;
  clear(): Promise<number>;
  count(params?: { query?: object; search?: string; searchFields?: string[] }): Promise<number>;
};

let adapter: Adapter;

beforeEach(async () => {
  adapter = createAdapter({ collection: "things", database: "things" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "" }) as Adapter;
  adapter.init({}, { schema: {} });
  await adapter.connect();
  await adapter.insertMany([
    { _id: "a", name: "Red mug", price: 300 },
    { _id: "b", name: "Blue mug", price: 500 },
    { _id: "c", name: "Red scarf", price: 900 },
  ]);
});

afterEach(async () => {
  await adapter.disconnect();
});

describe("the embedded adapter", () => {
  it("finds by id, by ids, by query with sort, limit and offset, and counts", async () => {
    expect(await adapter.findById("b")).toMatchObject({ name: "Blue mug" });
    expect(await adapter.findById("z")).toBeNull();
    expect((await adapter.findByIds(["a", "c", "z"])).map((doc) => doc._id).sort()).toEqual(["a", "c"]);
    const page = await adapter.find({ query: { price: { $gt: 100 } }, sort: ["-price"], limit: 2, offset: 1 });
    expect(page.map((doc) => doc._id)).toEqual(["b", "a"]);
    expect(await adapter.count({ query: { price: { $lt: 600 } } })).toBe(2);
    expect(await adapter.count()).toBe(3);
    expect(await adapter.count({ search: "red", searchFields: ["name"] })).toBe(2);
  });

  it("answers copies: changing an answer changes nothing stored", async () => {
    const found = (await adapter.findOne({ _id: "a" }))!;
    found.price = 1;
    (await adapter.find({ query: { _id: "b" } }))[0].price = 1;
    expect(await adapter.count({ query: { price: 1 } })).toBe(0);
  });

  it("updates and removes by id and by query, answering what changed", async () => {
    expect(await adapter.updateById("a", { $set: { price: 350 } })).toMatchObject({ _id: "a", price: 350 });
    expect(await adapter.updateById("z", { $set: { price: 1 } })).toBeNull();
    expect(await adapter.updateMany({ name: /mug/ }, { $inc: { price: 10 } })).toBe(2);
    expect((await adapter.findById("a"))?.price).toBe(360);
    expect(await adapter.removeById("b")).toBe(1);
    expect(await adapter.removeMany({ price: { $gt: 800 } })).toBe(1);
    expect(await adapter.clear()).toBe(1);
    expect(await adapter.count()).toBe(0);
  });
});
