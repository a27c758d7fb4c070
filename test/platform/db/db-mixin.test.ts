/**
 * DbMixin on NeDB (memory, as tests run, and file-backed, as `npm run dev`
 * runs): what every stateful service relies on.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../../mixins/db.mixin";
import { createAdapter, seedIfEmpty } from "../../../platform/db/db-adapter";
import { startLocalPlatform, type LocalPlatform } from "../../support/local-platform";
import { api } from "../../support/http";

type ThingsService = DbMethods & { name: string };

function thingsSchema(extra: Partial<Parameters<typeof DbMixin>[0]> = {}): ServiceSchema {
  return {
    name: "things",
    settings: { rest: "/" },
    mixins: [DbMixin({ collection: "things", indexes: [{ fields: ["sku"], unique: true }], actions: ["create", "get", "count", "list", "remove"], ...extra })],
  };
}

describe("DbMixin", () => {
  describe("generated actions", () => {
    let platform: LocalPlatform;
    beforeAll(async () => {
      platform = await startLocalPlatform({
        services: [thingsSchema(), { ...thingsSchema({ rest: ["list"] }), name: "gadgets", settings: { rest: "/gadgets" } }],
        gateway: true,
        gatewaySettings: { expectedServices: [] },
      });
    });
    afterAll(() => platform.stop());

    it("are not reachable from REST unless the service opts in", async () => {
      const http = api(`${platform.baseUrl}/api`);
      for (const [method, url] of [["get", "/"], ["get", "/things"], ["post", "/things"], ["get", "/x"], ["delete", "/x"]] as const) {
        expect((await http[method](url, undefined, { token: undefined })).status).toBe(404);
      }
      // The opted-in one is routed (and, declaring no `auth`, wants a token).
      expect((await http.get("/gadgets")).status).toBe(401);
    });

    it("exist only where the service asks for them", () => {
      const names = Object.keys(platform.broker.getLocalService("things")?.actions ?? {}).sort();
      expect(names).toEqual(["count", "create", "get", "list", "remove"]);
    });

    it("still serve other services inside the cluster", async () => {
      const created = await platform.broker.call<{ id: string }, object>("things.create", { sku: "A-1", name: "first" });
      expect(created.id).toEqual(expect.any(String));
      await expect(platform.broker.call("things.get", { id: created.id })).resolves.toMatchObject({ sku: "A-1" });
    });

    it("never take a client's raw query when opted in", async () => {
      await platform.broker.call("gadgets.create", { sku: "G-1", secret: "s" });
      await platform.broker.call("gadgets.create", { sku: "G-2", secret: "t" });
      const viaGateway = await platform.broker.call<{ total: number }, object>("gadgets.list", { query: { sku: "G-1" } });
      expect(viaGateway.total).toBe(2);
    });
  });

  describe("methods", () => {
    let broker: ServiceBroker;
    let things: ThingsService;
    beforeEach(async () => {
      broker = new ServiceBroker({ logger: false });
      things = broker.createService(thingsSchema()) as unknown as ThingsService;
      await broker.start();
    });
    afterEach(() => broker.stop());

    it("give opaque string ids", async () => {
      const doc = await things.insertEntity({ sku: "A" });
      expect(doc.id).toMatch(/^[0-9a-f]{24}$/);
      expect(doc._id).toBeUndefined();
      await expect(things.findEntityById(doc.id)).resolves.toMatchObject({ id: doc.id, sku: "A" });
    });

    it("turn a duplicate unique key into a 409 naming the field", async () => {
      await things.insertEntity({ sku: "A" }, "sku");
      await expect(things.insertEntity({ sku: "A" }, "sku")).rejects.toMatchObject({ code: 409, type: "CONFLICT", data: { field: "sku" } });
    });

    it("update only when the condition holds, atomically", async () => {
      const doc = await things.insertEntity({ sku: "S", stock: 5 });
      const takeThree = () => things.updateWhere({ _id: doc.id, stock: { $gte: 3 } }, { $inc: { stock: -3 } });
      const results = await Promise.all([takeThree(), takeThree(), takeThree()]);
      expect(results.filter(Boolean)).toHaveLength(1);
      await expect(things.findEntityById(doc.id)).resolves.toMatchObject({ stock: 2 });
    });

    it("clean cached answers when an entity changes", async () => {
      const cached = new ServiceBroker({ logger: false, cacher: "Memory" });
      const svc = cached.createService({ ...thingsSchema(), actions: { count: { cache: true } } }) as unknown as ThingsService;
      await cached.start();
      try {
        expect(await cached.call("things.count")).toBe(0);
        await svc.insertEntity({ sku: "C" });
        expect(await cached.call("things.count")).toBe(1);
      } finally {
        await cached.stop();
      }
    });
  });

  describe("seeding", () => {
    it("fills an empty collection at start", async () => {
      const broker = new ServiceBroker({ logger: false });
      const svc = broker.createService(thingsSchema({ seed: () => [{ sku: "1" }, { sku: "2" }] })) as unknown as ThingsService;
      await broker.start();
      try {
        expect(await svc.adapter.count()).toBe(2);
      } finally {
        await broker.stop();
      }
    });

    it("leaves a collection that has data alone", async () => {
      const adapter = createAdapter({ collection: "seeded", database: "seeded" });
      adapter.init(null, { schema: { collection: "seeded" } });
      await adapter.connect();
      const load = jest.fn(() => [{ sku: "1" }]);
      expect(await seedIfEmpty(adapter, load)).toBe(1);
      expect(await seedIfEmpty(adapter, load)).toBe(0);
      expect(load).toHaveBeenCalledTimes(1);
      expect(await adapter.count()).toBe(1);
    });
  });
});

describe("the NeDB file adapter", () => {
  it("keeps data and unique indexes across a restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-nedb-"));
    const cfg = { mongoUri: undefined, nodeEnv: "development" as const, dataDir };
    const service = { schema: { collection: "things" } };
    try {
      const first = createAdapter({ collection: "things", database: "things" }, cfg);
      first.init(null, service);
      await first.connect();
      await first.ensureIndexes([{ fields: ["sku"], unique: true }]);
      await first.insert({ _id: "a1", sku: "kept" });
      await first.disconnect();

      const second = createAdapter({ collection: "things", database: "things" }, cfg);
      second.init(null, service);
      await second.connect();
      await second.ensureIndexes([{ fields: ["sku"], unique: true }]);
      await expect(second.findOne({ sku: "kept" })).resolves.toMatchObject({ _id: "a1" });
      await expect(second.insert({ _id: "a2", sku: "kept" })).rejects.toMatchObject({ errorType: "uniqueViolated" });
      expect(fs.existsSync(path.join(dataDir, "things.db"))).toBe(true);
      await second.disconnect();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
