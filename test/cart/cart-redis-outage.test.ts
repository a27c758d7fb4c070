/**
 * The cart service on its own Redis store (settings as REDIS_URL gives them),
 * on the harness' private redis-server: how carts are laid out in Redis, and
 * what a client sees while Redis is away (503 at once, not a 504 after the
 * request timeout; the catalog unaffected) and after it is back (the cart
 * works again without a restart of the service).
 */
import Redis from "ioredis";
import { config } from "../../platform/config";
import type { CartView } from "../../services/cart/cart-view";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { waitUntil } from "../support/wait-until";
import { ALICE, TOKENS, startCartPlatform, type CartPlatform } from "./cart-platform";

const alice = { token: TOKENS.alice };
/** Short, so that a hanging Redis fails the test's requests quickly; the default is REQUEST_TIMEOUT / 10. */
const COMMAND_TIMEOUT_MS = 300;

describe("the cart on Redis when Redis goes away", () => {
  let redis: RedisServer;
  let admin: Redis;
  let shop: CartPlatform;

  const cartStatus = async () => (await shop.http.get("/cart", alice)).status;
  const waitForCart = (platform: CartPlatform, description: string) =>
    // Reconnects come at most a second apart; an open circuit breaker may add its half-open wait.
    waitUntil(async () => (await platform.http.get("/cart", alice)).status === 200, { description, timeoutMs: 30_000, intervalMs: 250 });

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    admin.on("error", () => undefined);
    shop = await startCartPlatform({ settings: { redisUrl: redis.url, commandTimeoutMs: COMMAND_TIMEOUT_MS } });
  });
  afterAll(async () => {
    await shop?.stop();
    admin?.disconnect();
    await redis?.stop();
  });

  it("keeps each cart as one hash <namespace>:cart:<userId> of productId -> quantity, with CART_TTL", async () => {
    const mug = await shop.createProduct();
    expect((await shop.http.post("/cart/items", { productId: mug.id, quantity: 2 }, alice)).status).toBe(201);
    const key = `${config.namespace}:cart:${ALICE.id}`;
    expect(await admin.type(key)).toBe("hash");
    expect(await admin.hgetall(key)).toEqual({ [mug.id]: "2" });
    expect(await admin.ttl(key)).toBeGreaterThanOrEqual(config.cartTtlSec - 1);
  });

  it("answers 503 while Redis hangs, and serves again once it answers", async () => {
    const pid = redis.pid as number;
    process.kill(pid, "SIGSTOP");
    try {
      const res = await shop.http.get<{ type: string }>("/cart", alice);
      // Not 504: the command timeout fired well inside the request timeout.
      expect(res.status).toBe(503);
      expect(res.body.type).toBe("SERVICE_UNAVAILABLE");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitForCart(shop, "the cart after Redis resumed");
  });

  it("answers 503 with a clear message on every cart route while Redis is down, and the catalog keeps working", async () => {
    const mug = await shop.createProduct();
    await redis.kill();
    try {
      const res = await shop.http.get<{ message: string; type: string; code: number }>("/cart", alice);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", message: "The cart is temporarily unavailable, try again shortly" });
      expect(res.headers.get("retry-after")).not.toBeNull();

      expect((await shop.http.post("/cart/items", { productId: mug.id, quantity: 1 }, alice)).status).toBe(503);
      expect((await shop.http.patch(`/cart/items/${mug.id}`, { quantity: 1 }, alice)).status).toBe(503);
      expect((await shop.http.delete(`/cart/items/${mug.id}`, undefined, alice)).status).toBe(503);
      expect((await shop.http.delete("/cart", undefined, alice)).status).toBe(503);
      await expect(shop.platform.broker.call("cart.contentsOf", { userId: ALICE.id })).rejects.toMatchObject({ code: 503 });

      expect((await shop.http.get("/products")).status).toBe(200);
      expect((await shop.http.get(`/products/${mug.id}`)).status).toBe(200);
    } finally {
      await redis.restart();
    }

    await waitForCart(shop, "the cart after Redis restarted");
    // This Redis keeps nothing across restarts: the cart starts empty and takes new lines.
    const added = await shop.http.post<CartView>("/cart/items", { productId: mug.id, quantity: 1 }, alice);
    expect(added.status).toBe(201);
    expect(added.body.items).toEqual([expect.objectContaining({ productId: mug.id, quantity: 1 })]);
    expect(await cartStatus()).toBe(200);
  });

  it("starts without Redis, answers 503, and serves carts once Redis comes up", async () => {
    await redis.kill();
    let late: CartPlatform | undefined;
    try {
      late = await startCartPlatform({ settings: { redisUrl: redis.url, commandTimeoutMs: COMMAND_TIMEOUT_MS } });
      expect((await late.http.get("/cart", alice)).status).toBe(503);
      await redis.restart();
      await waitForCart(late, "the cart of a service started before Redis");
    } finally {
      if (!redis.isRunning()) await redis.restart();
      await late?.stop();
    }
  });
});
