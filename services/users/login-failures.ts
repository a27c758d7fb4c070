/**
 * Counters of failed logins per account, for the per-account limit (docs/api.md:
 * login is rate limited). A counter lives for a fixed window from its first
 * failure. In Redis when REDIS_URL is set, so the limit holds across every
 * users node; in process memory otherwise (one node: embedded mode, tests).
 */
import { createHash } from "node:crypto";
import Redis from "ioredis";

export interface FailureCount {
  count: number;
  /** Seconds until the window ends (0 when there is no counter). */
  resetsInSec: number;
}

export interface FailureStore {
  /** The failures counted for `key` in its current window. */
  get(key: string): Promise<FailureCount>;
  /** Counts one failure; the first one starts a window of `windowSec`. */
  increment(key: string, windowSec: number): Promise<FailureCount>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

const NONE: FailureCount = { count: 0, resetsInSec: 0 };

export class MemoryFailureStore implements FailureStore {
  private readonly counters = new Map<string, { count: number; expiresAt: number }>();

  constructor(
    /** Above this many counters the expired ones are swept (a guesser trying many emails grows the map). */
    private readonly sweepAbove = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<FailureCount> {
    const entry = this.live(key);
    return entry ? { count: entry.count, resetsInSec: this.secondsUntil(entry.expiresAt) } : NONE;
  }

  async increment(key: string, windowSec: number): Promise<FailureCount> {
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
// would otherwise leave a counter that never expires (an account locked for good).
const INCREMENT = `
local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return { count, redis.call("PTTL", KEYS[1]) }
`;

export class RedisFailureStore implements FailureStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    /** Keeps these keys apart from other users of the same Redis, e.g. `shop:login-failures:`. */
    private readonly prefix: string,
  ) {
    // A login must fail fast (503) while Redis is away, not queue for the request timeout.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  }

  connect(): Promise<void> {
    return this.redis.connect();
  }

  async get(key: string): Promise<FailureCount> {
    const k = this.key(key);
    const [count, ttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    return count === null ? NONE : { count: Number(count), resetsInSec: seconds(ttl) };
  }

  async increment(key: string, windowSec: number): Promise<FailureCount> {
    const [count, ttl] = (await this.redis.eval(INCREMENT, 1, this.key(key), String(windowSec * 1000))) as [number, number];
    return { count, resetsInSec: seconds(ttl) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // Hashed: the store's key list would otherwise be a list of customers' email addresses.
  private key(key: string): string {
    return this.prefix + createHash("sha256").update(key).digest("base64url");
  }
}

function seconds(pttl: number): number {
  return Math.max(1, Math.ceil(pttl / 1000));
}

export interface LoginLimit {
  /** Failed logins an account may have in one window... */
  maxFailures: number;
  /** ...of this many seconds, counted from its first failure. */
  windowSec: number;
}

/**
 * The per-account policy on top of a store. Accounts are keyed by the email
 * as submitted (normalised), whether or not it exists: a limit that only
 * known emails reach would tell a guesser which emails have accounts.
 */
export class LoginLimiter {
  constructor(
    private readonly store: FailureStore,
    readonly limit: LoginLimit,
  ) {}

  /** Seconds until `account` may try again; 0 when it may now. */
  async retryAfter(account: string): Promise<number> {
    const { count, resetsInSec } = await this.store.get(account);
    return count >= this.limit.maxFailures ? resetsInSec : 0;
  }

  async failed(account: string): Promise<void> {
    await this.store.increment(account, this.limit.windowSec);
  }

  async succeeded(account: string): Promise<void> {
    await this.store.reset(account);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
