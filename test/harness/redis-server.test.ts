import Redis, { type RedisOptions } from "ioredis";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { tcpProbe } from "../support/tcp-probe";

const isPong = (port: number) => tcpProbe({ port, send: "PING\r\n", expect: /^\+PONG/ });

describe("private redis-server", () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const client = (options: RedisOptions = {}) => {
    const created = new Redis(redis.url, options);
    clients.push(created);
    return created;
  };

  beforeEach(async () => {
    redis = await startRedisServer();
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.disconnect());
    await redis.stop();
  });

  it("runs on a private loopback port and answers PING", async () => {
    expect(redis.port).not.toBe(6379);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    await expect(client().ping()).resolves.toBe("PONG");
  });

  it("refuses connections once killed and serves again on the same port after restart", async () => {
    const port = redis.port;
    const survivor = client(); // default retry strategy, like the cacher's
    await survivor.set("k", "v");

    await redis.kill();
    expect(await isPong(port)).toBe(false);

    await redis.restart();
    expect(redis.port).toBe(port);
    expect(await isPong(port)).toBe(true);
    // The reconnecting client finds the new server at the old address; nothing was persisted.
    await expect(survivor.get("k")).resolves.toBeNull();
  });
});
