/**
 * The broker's Redis cache fails open: while Redis is down, cached actions
 * answer from their own data; when it is back, nothing stale is served.
 */
import { ServiceBroker } from "moleculer";
import { ResilientRedisCacher, redisOptionsFromUrl } from "../../platform/broker/resilient-redis-cacher";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { waitUntil } from "../support/wait-until";

describe("the resilient Redis cacher", () => {
  let redis: RedisServer;
  let broker: ServiceBroker;
  let price = 100;
  let computed = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
    broker = new ServiceBroker({
      logger: false,
      cacher: new ResilientRedisCacher({ redis: redis.url, prefix: "MOL-test", ttl: 60, commandTimeoutMs: 300 }),
    });
    broker.createService({
      name: "catalog",
      actions: {
        price: {
          cache: true,
          handler: () => {
            computed++;
            return { price };
          },
        },
      },
    });
    await broker.start();
    await waitUntil(() => (broker.cacher as unknown as { connected: boolean }).connected, { description: "the cacher to connect", timeoutMs: 5000 });
  });

  afterAll(async () => {
    await broker?.stop();
    await redis?.stop();
  });

  const call = () => broker.call<{ price: number }, object>("catalog.price", {}, { timeout: 3000 });

  it("serves repeated calls from Redis", async () => {
    await call();
    await call();
    expect(computed).toBe(1);
  });

  it("answers from the service itself while Redis is down, without errors", async () => {
    await redis.kill();
    const before = computed;
    price = 200;
    await broker.cacher!.clean("catalog.**"); // an invalidation that cannot reach Redis
    for (let i = 0; i < 3; i++) await expect(call()).resolves.toEqual({ price: 200 });
    expect(computed - before).toBe(3);
  });

  it("drops what it cached before the outage once Redis is back", async () => {
    await redis.restart();
    await waitUntil(() => (broker.cacher as unknown as { connected: boolean }).connected, { description: "the cacher to reconnect", timeoutMs: 10_000 });
    // The entry from before the outage ({price: 100}) missed its invalidation: it must never come back.
    const seen: number[] = [];
    await waitUntil(
      async () => {
        const before = computed;
        seen.push((await call()).price);
        return computed === before; // served from the cache again
      },
      { description: "the cache to serve again", timeoutMs: 5000 },
    );
    expect(new Set(seen)).toEqual(new Set([200]));
  });

  it("reads every part of a Redis URL", () => {
    expect(redisOptionsFromUrl("redis://user:p%40ss@cache.internal:6380/2")).toEqual({ host: "cache.internal", port: 6380, username: "user", password: "p@ss", db: 2 });
    expect(redisOptionsFromUrl("rediss://cache")).toEqual({ host: "cache", port: 6379, tls: {} });
  });
});
