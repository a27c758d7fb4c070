/**
 * Counters that live for a fixed window from their first increment, for
 * limits on abuse (login attempts, checkout attempts and declines). In Redis
 * when REDIS_URL is set, so a limit holds across every node of a service; in
 * process memory otherwise (one node: embedded mode, tests).
 */
import { createHash } from "node:crypto";
import Redis from "ioredis";

export interface WindowCount {
  count: number;
  /** Seconds until the window ends (0 when there is no counter). */
  resetsInSec: number;
}

export interface WindowCounters {
  /** The count of `key` in its current window. */
  get(key: string): Promise<WindowCount>;
  /** Counts one more, atomically; the first one starts a window of `windowSec`. */
  increment(key: string, windowSec: number): Promise<WindowCount>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

const NONE: WindowCount = { count: 0, resetsInSec: 0 };

export class MemoryWindowCounters implements WindowCounters {
  private readonly counters = new Map<string, { count: number; expiresAt: number }>();

  constructor(
    /** Above this many counters the expired ones are swept (a guesser trying many keys grows the map). */
    private readonly sweepAbove = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<WindowCount> {
    const entry = this.live(key);
    return entry ? { count: entry.count, resetsInSec: this.secondsUntil(entry.expiresAt) } : NONE;
  }

  async increment(key: string, windowSec: number): Promise<WindowCount> {
    let entry = this.live(key);
    if (!entry) {
      if (this.counters.size >= this.sweepAbove) this.sweep();
      entry = { count: 0, expiresAt: this.now() + windowSec * 1000 };
      this.counters.set(key, entry);
    }
    entry.count += 1;
    return { count: entry.count, resetsInSec: this.secondsUntil(entry.expiresAt) };
  }

  async reset(key: string): Promise<void> {
    this.counters.delete(key);
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  private live(key: string) {
    const entry = this.counters.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.counters.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
  }

  private secondsUntil(at: number): number {
    return Math.max(1, Math.ceil((at - this.now()) / 1000));
  }
}

// INCR and the expiry of a new counter in one step: a crash between the two
// would otherwise leave a counter that never expires (a limit reached for good).
const INCREMENT = `
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return { count, redis.call("PTTL", KEYS[1]) }
`;

export class RedisWindowCounters implements WindowCounters {
  private readonly redis: Redis;

  constructor(
    url: string,
    /** Keeps these keys apart from other users of the same Redis, e.g. `shop:login-failures:`. */
    private readonly prefix: string,
  ) {
    // A limited request must fail fast (503) while Redis is away, not queue for the request timeout.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  }

  connect(): Promise<void> {
    return this.redis.connect();
  }

  async get(key: string): Promise<WindowCount> {
    const k = this.key(key);
    const [count, ttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    return count === null ? NONE : { count: Number(count), resetsInSec: seconds(ttl) };
  }

  async increment(key: string, windowSec: number): Promise<WindowCount> {
    const [count, ttl] = (await this.redis.eval(INCREMENT, 1, this.key(key), String(windowSec * 1000))) as [number, number];
    return { count, resetsInSec: seconds(ttl) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // Hashed: the store's key list would otherwise be a list of customers' email addresses or cards.
  private key(key: string): string {
    return this.prefix + createHash("sha256").update(key).digest("base64url");
  }
}

function seconds(pttl: number): number {
  return Math.max(1, Math.ceil(pttl / 1000));
}
