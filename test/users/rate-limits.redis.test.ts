/**
 * With REDIS_URL set the failed-login counters live in Redis, so the
 * per-account limit holds across users nodes: failures on one node lock the
 * account on another. Two embedded platforms share a private redis-server.
 */
import type { RedisServer } from "../support/redis-server";
import type * as Helpers from "./helpers";

describe("per-account login limit across users nodes (REDIS_URL)", () => {
  let redis: RedisServer;
  let nodeA: Helpers.UsersPlatform;
  let nodeB: Helpers.UsersPlatform;
  let helpers: typeof Helpers;
  const previousUrl = process.env.REDIS_URL;

  beforeAll(async () => {
    const { startRedisServer } = require("../support/redis-server") as typeof import("../support/redis-server");
    redis = await startRedisServer();
    // platform/config reads the environment once, when first loaded: load the service after setting it.
    process.env.REDIS_URL = redis.url;
    jest.resetModules();
    helpers = require("./helpers") as typeof Helpers;
    nodeA = await helpers.startUsersPlatform();
    nodeB = await helpers.startUsersPlatform();
  });
  afterAll(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    if (previousUrl === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = previousUrl;
    await redis?.stop();
  });

  it("locks an email on node B after ten failures on node A, and a success anywhere clears it", async () => {
    // Each embedded node has its own in-memory users: the account exists on both under one email.
    const email = helpers.uniqueEmail("shared");
    const password = "shared-password-1";
    await helpers.registerUser(nodeA.http, { email, password });
    await helpers.registerUser(nodeB.http, { email, password });

    for (let i = 0; i < 9; i++) expect((await nodeA.http.post("/auth/login", { email, password: `wrong-${i}` })).status).toBe(401);
    expect((await nodeB.http.post("/auth/login", { email, password })).status).toBe(200);

    for (let i = 0; i < 10; i++) expect((await nodeA.http.post("/auth/login", { email, password: `wrong-${i}` })).status).toBe(401);
    const locked = await nodeB.http.post("/auth/login", { email, password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("checks at most ten of 100 concurrent wrong passwords spread over two nodes", async () => {
    const email = helpers.uniqueEmail("storm");
    const password = "storm-password-1";
    await helpers.registerUser(nodeA.http, { email, password });
    await helpers.registerUser(nodeB.http, { email, password });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? nodeA : nodeB).http.post("/auth/login", { email, password: `wrong-${i}` })),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status !== 401).every((status) => status === 429)).toBe(true);
  });

  it("answers 503, not unlimited guessing, while Redis is down", async () => {
    await redis.kill();
    try {
      const res = await nodeA.http.post<{ type: string }>("/auth/login", { email: helpers.uniqueEmail(), password: "whatever-pass" });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).not.toBeNull();
    } finally {
      await redis.restart();
    }
  });
});
