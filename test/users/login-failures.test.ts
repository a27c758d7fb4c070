import { AttemptRefused, LoginLimiter } from "../../services/users/login-failures";
import { MemoryWindowCounters, RedisWindowCounters, type WindowCounters } from "../../platform/window-counters";
import { startRedisServer, type RedisServer } from "../support/redis-server";

/** What both stores promise, run against each. */
type Made = { store: WindowCounters; advance: (ms: number) => void | Promise<void> };

function behavesLikeAWindowCounters(make: () => Made | Promise<Made>) {
  let store: WindowCounters;
  let advance: Made["advance"];
  beforeEach(async () => {
    ({ store, advance } = await make());
  });
  afterEach(() => store.close());

  it("counts nothing for an account that never failed", async () => {
    await expect(store.get("a@example.com")).resolves.toEqual({ count: 0, resetsInSec: 0 });
  });

  it("counts failures per account within the window", async () => {
    await store.increment("a@example.com", 900);
    await store.increment("a@example.com", 900);
    const third = await store.increment("a@example.com", 900);
    expect(third.count).toBe(3);
    expect(third.resetsInSec).toBeGreaterThan(890);
    expect(third.resetsInSec).toBeLessThanOrEqual(900);
    await expect(store.get("a@example.com")).resolves.toMatchObject({ count: 3 });
    await expect(store.get("b@example.com")).resolves.toMatchObject({ count: 0 });
  });

  it("keeps the window of the first failure: later failures do not extend it", async () => {
    // A 30 s window, the second failure 1.2 s in: it resets in at most 29 s (an extended window says 30).
    // On Redis the 1.2 s are real; a stall of the machine only shortens what is left, and would need
    // to last the whole window to end it.
    await store.increment("a@example.com", 30);
    await advance(1200);
    const later = await store.increment("a@example.com", 30);
    expect(later.count).toBe(2);
    expect(later.resetsInSec).toBeLessThanOrEqual(29);
    expect(later.resetsInSec).toBeGreaterThanOrEqual(1);
  });

  it("forgets the failures once the window has passed", async () => {
    await store.increment("a@example.com", 1);
    await advance(1100);
    await expect(store.get("a@example.com")).resolves.toEqual({ count: 0, resetsInSec: 0 });
    await expect(store.increment("a@example.com", 1)).resolves.toMatchObject({ count: 1 });
  });

  it("starts over after a reset", async () => {
    await store.increment("a@example.com", 900);
    await store.reset("a@example.com");
    await expect(store.get("a@example.com")).resolves.toMatchObject({ count: 0 });
  });
}

describe("MemoryWindowCounters", () => {
  let clock = 0;
  behavesLikeAWindowCounters(() => {
    clock = 1_000_000;
    return { store: new MemoryWindowCounters(10_000, () => clock), advance: (ms) => void (clock += ms) };
  });

  it("sweeps expired counters when it grows past its bound", async () => {
    clock = 0;
    const store = new MemoryWindowCounters(3, () => clock);
    for (const key of ["a", "b", "c"]) await store.increment(key, 1);
    clock += 2000;
    await store.increment("d", 1);
    expect((store as unknown as { counters: Map<string, unknown> }).counters.size).toBe(1);
  });
});

describe("RedisWindowCounters (private redis-server)", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  behavesLikeAWindowCounters(async () => {
    const store = new RedisWindowCounters(redis.url, `test-${Math.random().toString(36).slice(2)}:`);
    await store.connect();
    // Real time: Redis expires keys on its own clock.
    return { store, advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
  });

  it("keeps email addresses out of the Redis key names", async () => {
    const store = new RedisWindowCounters(redis.url, "privacy:");
    await store.connect();
    await store.increment("someone@example.com", 60);
    const inspect = new RedisWindowCounters(redis.url, "unused:");
    await inspect.connect();
    const keys = await (inspect as unknown as { redis: { keys(pattern: string): Promise<string[]> } }).redis.keys("privacy:*");
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain("someone");
    await Promise.all([store.close(), inspect.close()]);
  });

  it("fails fast while Redis is down and works again once it is back", async () => {
    const store = new RedisWindowCounters(redis.url, "outage:");
    await store.connect();
    await store.increment("a@example.com", 60);
    await redis.kill();
    await expect(store.get("a@example.com")).rejects.toThrow();
    await redis.restart();
    // Not persisted: the restarted server starts empty, and the store reconnects by itself.
    await waitFor(() => store.get("a@example.com").then((c) => c.count === 0, () => false));
    await expect(store.increment("a@example.com", 60)).resolves.toMatchObject({ count: 1 });
    await store.close();
  });

  it("connects by itself when Redis comes up after the store was made", async () => {
    await redis.kill();
    const store = new RedisWindowCounters(redis.url, "late:");
    await expect(store.connect()).rejects.toThrow();
    await redis.restart();
    await waitFor(() => store.get("a@example.com").then(() => true, () => false));
    await store.close();
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("LoginLimiter: 10 attempts per account in 15 minutes, claimed before the password is checked", () => {
  let limiter: LoginLimiter;
  beforeEach(() => {
    limiter = new LoginLimiter(new MemoryWindowCounters(), { maxFailures: 10, windowSec: 900, knownAddressDays: 30 });
  });
  const refusal = (promise: Promise<void>) => promise.then(() => null, (err: unknown) => err);

  it("lets an address try ten times, then says how long to wait", async () => {
    for (let i = 0; i < 10; i++) await limiter.claim("a@example.com", "203.0.113.1");
    const refused = await refusal(limiter.claim("a@example.com", "203.0.113.1"));
    expect(refused).toBeInstanceOf(AttemptRefused);
    expect((refused as AttemptRefused).retryAfterSec).toBeGreaterThan(0);
    expect((refused as AttemptRefused).retryAfterSec).toBeLessThanOrEqual(900);
    await expect(limiter.claim("b@example.com", "203.0.113.1")).resolves.toBeUndefined();
  });

  it("claims atomically: of 100 concurrent attempts on one account, ten go on", async () => {
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => refusal(limiter.claim("a@example.com", `198.51.100.${i}`))));
    expect(outcomes.filter((o) => o === null)).toHaveLength(10);
  });

  it("gives addresses rotating on one account ten attempts in all", async () => {
    for (let i = 0; i < 10; i++) await limiter.claim("a@example.com", `198.51.100.${i}`);
    expect(await refusal(limiter.claim("a@example.com", "198.51.100.200"))).toBeInstanceOf(AttemptRefused);
  });

  it("lets the owner in from an address the account logged in from, whatever strangers did", async () => {
    await limiter.claim("a@example.com", "203.0.113.1");
    await limiter.succeeded("a@example.com", "203.0.113.1");
    for (let i = 0; i < 20; i++) await refusal(limiter.claim("a@example.com", `198.51.100.${i}`));
    await expect(limiter.claim("a@example.com", "203.0.113.1")).resolves.toBeUndefined();
  });

  it("forgets an address's attempts once it logs in", async () => {
    for (let i = 0; i < 10; i++) await limiter.claim("a@example.com", "203.0.113.1");
    await limiter.succeeded("a@example.com", "203.0.113.1");
    for (let i = 0; i < 10; i++) await limiter.claim("a@example.com", "203.0.113.1");
  });
});
