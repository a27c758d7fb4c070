/**
 * GET /api/categories on the MongoDB path (MONGO_URI), where the counts are
 * one aggregate on the server (services/products/category-counts.ts), not
 * the NeDB tally of catalog-http.test.ts: a real Mongo when MONGO_URI is set
 * for the run, else the CongoDB emulator.
 */
import type { ServiceSchema } from "moleculer";
import { loadWithEnv } from "../support/load-with-env";
import { startMongo, type TestMongo } from "../support/mongo";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { fakeUsersService } from "../support/fake-users";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { productBody } from "./catalog-platform";

interface Products {
  metadata: Record<string, unknown>;
  adapter: { collection: { aggregate(...args: unknown[]): unknown } };
}

let mongo: TestMongo;
let platform: LocalPlatform;
let http: ApiClient;
let products: Products;

beforeAll(async () => {
  mongo = await startMongo();
  const ProductsService = loadWithEnv({ MONGO_URI: mongo.uri }, () => require("../../services/products/products.service").default as ServiceSchema);
  platform = await startLocalPlatform({
    services: [fakeUsersService({}), { name: "products", mixins: [ProductsService], settings: { reservationSweepIntervalMs: 0 } } as ServiceSchema],
    gateway: true,
    gatewaySettings: { expectedServices: ["products", "users"] },
  });
  http = api(`${platform.baseUrl}/api`);
  // The platform waits for the routes of the schemas it is given; this one's come from its mixin.
  await waitUntil(async () => (await http.get("/categories")).status !== 404, { description: "the categories route", timeoutMs: 10_000, intervalMs: 50 });
  products = platform.broker.getLocalService("products") as unknown as Products;
});

afterAll(async () => {
  await platform?.stop();
  await mongo?.stop();
});

const create = (overrides: Record<string, unknown>) => platform.broker.call<{ id: string }, Record<string, unknown>>("products.create", productBody(overrides));

describe("GET /api/categories on MongoDB", () => {
  it("counts the listed products of each category with one aggregate, archived ones left out, sorted by name", async () => {
    expect(products.metadata).toMatchObject({ storage: "mongo" });
    await create({ category: "mongo-counted" });
    await create({ category: "mongo-counted" });
    const archived = await create({ category: "mongo-counted" });
    await platform.broker.call("products.remove", { id: archived.id });
    await create({ category: "mongo-alone" });
    const onlyArchived = await create({ category: "mongo-gone" });
    await platform.broker.call("products.remove", { id: onlyArchived.id });

    const aggregate = jest.spyOn(products.adapter.collection, "aggregate");
    try {
      const res = await http.get<{ name: string; count: number }[]>("/categories");
      expect(res.status).toBe(200);
      expect(aggregate).toHaveBeenCalledTimes(1);
      expect(res.body).toContainEqual({ name: "mongo-counted", count: 2 });
      expect(res.body).toContainEqual({ name: "mongo-alone", count: 1 });
      expect(res.body.map((c) => c.name)).not.toContain("mongo-gone");
      expect(res.body.every((c) => Number.isInteger(c.count) && c.count > 0)).toBe(true);
      const names = res.body.map((c) => c.name);
      expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    } finally {
      aggregate.mockRestore();
    }
  });
});
