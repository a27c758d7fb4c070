/**
 * DbMixin on the MongoDB path (MONGO_URI): a real Mongo when MONGO_URI is set
 * for the test run, else the in-process CongoDB emulator (test/README.md),
 * which enforces no unique index: the 409 case is checked on a real Mongo only.
 */
import { loadWithEnv } from "../../support/load-with-env";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { startMongo, type TestMongo } from "../../support/mongo";
import type { DbMethods } from "../../../mixins/db.mixin";

type ThingsService = DbMethods & { name: string };

describe("DbMixin on MongoDB", () => {
  let mongo: TestMongo;
  let broker: ServiceBroker;
  let things: ThingsService;

  beforeAll(async () => {
    mongo = await startMongo();
    const { DbMixin } = loadWithEnv({ MONGO_URI: mongo.uri }, () => require("../../../mixins/db.mixin") as typeof import("../../../mixins/db.mixin"));

    const schema: ServiceSchema = {
      name: "things",
      mixins: [DbMixin({ collection: "things", actions: ["get", "list"], indexes: [{ fields: ["sku"], unique: true }], seed: () => [{ sku: "seeded", stock: 1 }] })],
    };
    broker = new ServiceBroker({ logger: false });
    things = broker.createService(schema) as unknown as ThingsService;
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop();
    await mongo?.stop();
  });

  it("reports mongo as its storage, so several nodes may share it", () => {
    expect(broker.getLocalService("things")?.metadata).toMatchObject({ storage: "mongo" });
  });

  it("seeds the empty collection", async () => {
    await expect(things.adapter.count({ query: { sku: "seeded" } })).resolves.toBe(1);
  });

  it("stores, finds and conditionally updates by the platform's string ids", async () => {
    const doc = await things.insertEntity({ sku: "m-1", stock: 5 });
    expect(doc.id).toMatch(/^[0-9a-f]{24}$/);
    await expect(things.findEntityById(doc.id)).resolves.toMatchObject({ id: doc.id, sku: "m-1" });
    expect(await things.updateWhere({ _id: doc.id, stock: { $gte: 6 } }, { $inc: { stock: -6 } })).toBeNull();
    await expect(things.updateWhere({ _id: doc.id, stock: { $gte: 5 } }, { $inc: { stock: -5 } })).resolves.toMatchObject({ id: doc.id, stock: 0 });
    await expect(things.adapter.count({ query: { _id: { $in: [doc.id] } } })).resolves.toBe(1);
  });

  it("serves moleculer-db's generated get and list with string ids", async () => {
    const doc = await things.insertEntity({ sku: "m-2" });
    await expect(broker.call("things.get", { id: doc.id })).resolves.toMatchObject({ id: doc.id, sku: "m-2" });
    const page = await broker.call<{ rows: { id: string }[] }, object>("things.list", { pageSize: 100 });
    expect(page.rows.map((r) => r.id)).toContain(doc.id);
  });

  (process.env.MONGO_URI ? it : it.skip)("turns a duplicate unique key into a 409 (real MongoDB only)", async () => {
    await things.insertEntity({ sku: "dup" }, "sku");
    await expect(things.insertEntity({ sku: "dup" }, "sku")).rejects.toMatchObject({ code: 409, data: { field: "sku" } });
  });
});
