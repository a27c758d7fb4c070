import { ServiceBroker, type ServiceSchema } from "moleculer";
import DbService, { type DbAdapter } from "moleculer-db";
import MongoAdapter from "moleculer-db-adapter-mongo";
import { startMongo, withDatabase, type TestMongo } from "../support/mongo";

interface Thing {
  _id: string;
  name: string;
  qty: number;
}

type DbServiceSchema = ServiceSchema & { adapter: DbAdapter; collection: string };

describe("startMongo", () => {
  let mongo: TestMongo;
  let broker: ServiceBroker;

  beforeAll(async () => {
    mongo = await startMongo();
    broker = new ServiceBroker({ logger: false, skipProcessEventRegistration: true });
    const things: DbServiceSchema = {
      name: "things",
      mixins: [DbService as unknown as Partial<ServiceSchema>],
      adapter: new MongoAdapter(mongo.uri, { useUnifiedTopology: true }, mongo.dbName),
      collection: "things",
    };
    broker.createService(things);
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop();
    await mongo?.stop();
  });

  it("is the emulator unless MONGO_URI is set", () => {
    expect(mongo.emulated).toBe(!process.env.MONGO_URI);
    expect(mongo.uri).toMatch(new RegExp(`^mongodb(\\+srv)?://[^/]+/${mongo.dbName}(\\?|$)`));
  });

  it("lets moleculer-db-adapter-mongo create, find and update an entity", async () => {
    const created = await broker.call<Thing, Omit<Thing, "_id">>("things.create", { name: "bolt", qty: 1 });
    expect(created).toMatchObject({ name: "bolt", qty: 1 });
    expect(typeof created._id).toBe("string");

    const found = await broker.call<Thing[], { query: Partial<Thing> }>("things.find", { query: { name: "bolt" } });
    expect(found).toEqual([created]);

    const updated = await broker.call<Thing, { id: string; qty: number }>("things.update", { id: created._id, qty: 2 });
    expect(updated).toEqual({ ...created, qty: 2 });
    await expect(broker.call("things.get", { id: created._id })).resolves.toEqual(updated);
  });

  it("gives every call a database of its own", async () => {
    const other = await startMongo();
    try {
      expect(other.dbName).not.toBe(mongo.dbName);
      expect(other.uri).not.toBe(mongo.uri);
    } finally {
      await other.stop();
    }
  });
});

describe("withDatabase", () => {
  it("replaces the database and keeps the options", () => {
    expect(withDatabase("mongodb://db:27017/shop?retryWrites=false", "t1")).toBe("mongodb://db:27017/t1?retryWrites=false");
    expect(withDatabase("mongodb://a:1,b:2", "t1")).toBe("mongodb://a:1,b:2/t1");
  });

  it("pins the auth database before changing the path", () => {
    expect(withDatabase("mongodb://u:p@db/shop", "t1")).toBe("mongodb://u:p@db/t1?authSource=shop");
    expect(withDatabase("mongodb+srv://u:p@db/?w=1", "t1")).toBe("mongodb+srv://u:p@db/t1?w=1&authSource=admin");
    expect(withDatabase("mongodb://u:p@db/shop?authSource=other", "t1")).toBe("mongodb://u:p@db/t1?authSource=other");
  });

  it("rejects what is not a Mongo URI", () => {
    expect(() => withDatabase("postgres://db/shop", "t1")).toThrow(/MONGO_URI/);
  });
});
