/**
 * A restart of the users service on the same database keeps the one admin
 * (and the sessions: tokens stay valid across the restart). On Mongo, the
 * store that survives a restart; NeDB runs in memory under NODE_ENV=test.
 */
import type { TestMongo } from "../support/mongo";
import type * as Helpers from "./helpers";

describe("restarting the users service on one Mongo database", () => {
  let mongo: TestMongo;
  let helpers: typeof Helpers;
  const previousUri = process.env.MONGO_URI;

  beforeAll(async () => {
    const { startMongo } = require("../support/mongo") as typeof import("../support/mongo");
    mongo = await startMongo();
    // platform/config reads the environment once, when first loaded: load the service after setting it.
    process.env.MONGO_URI = mongo.uri;
    jest.resetModules();
    helpers = require("./helpers") as typeof Helpers;
  });
  afterAll(async () => {
    if (previousUri === undefined) delete process.env.MONGO_URI;
    else process.env.MONGO_URI = previousUri;
    await mongo?.stop();
  });

  it("creates the admin on the first start only, and tokens issued before a restart still work", async () => {
    const first = await helpers.startUsersPlatform();
    let token: string;
    let adminId: string;
    try {
      token = await helpers.loginAdmin(first.http);
      const admins = await first.users.adapter.find({ query: { role: "admin" } });
      expect(admins).toHaveLength(1);
      adminId = String(admins[0]._id); // an ObjectId on Mongo
    } finally {
      await first.stop();
    }

    const second = await helpers.startUsersPlatform();
    try {
      const admins = await second.users.adapter.find({ query: { role: "admin" } });
      expect(admins.map((a) => String(a._id))).toEqual([adminId]);
      const me = await second.http.get<{ id: string; role: string }>("/users/me", { token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: adminId, role: "admin" });
    } finally {
      await second.stop();
    }
  });
});
