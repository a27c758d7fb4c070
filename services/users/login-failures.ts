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
  /** Login attempts one account may have in one window from addresses it was never used from... */
  maxFailures: number;
  /** ...of this many seconds, counted from its first attempt. The same limit holds per account and address. */
  windowSec: number;
  /** Days an address stays known to an account after a successful login from it. */
  knownAddressDays: number;
}

/** Why an attempt may not go on: the seconds until it may. */
export class AttemptRefused extends Error {
  constructor(readonly retryAfterSec: number) {
    super("Too many login attempts");
  }
}

const part = (account: string, address: string) => `${account}\n${address}`;

/**
 * The login policy (docs/security.md, "Login abuse"). An attempt is claimed
 * (counted) before the password is checked, in one atomic increment, so
 * concurrent guesses cannot all pass a count read before any was written.
 *
 * Two counters per attempt, both capped at `maxFailures` per window:
 * - per account and client address: one client guesses at most that often;
 * - per account, for addresses the account was never logged in from: a
 *   guesser rotating addresses still gets no more, in total.
 * An address becomes known to an account with a successful login from it
 * (or its registration) and stays so for `knownAddressDays`: the owner, from
 * where they usually log in, is not locked out by strangers' failures. Only
 * a client that already knows the password can make its address known.
 *
 * Accounts are keyed by the email as submitted (normalised), whether or not
 * it exists: a limit that only known emails reach would tell a guesser which
 * emails have accounts.
 */
export class LoginLimiter {
  constructor(
    private readonly store: FailureStore,
    readonly limit: LoginLimit,
  ) {}

  /** Counts an attempt of `address` on `account`; throws AttemptRefused once a counter is over the limit. */
  async claim(account: string, address: string): Promise<void> {
    const { maxFailures, windowSec } = this.limit;
    const mine = await this.store.increment(part(account, address), windowSec);
    if (mine.count > maxFailures) throw new AttemptRefused(mine.resetsInSec);
    if (await this.knows(account, address)) return;
    const anyone = await this.store.increment(account, windowSec);
    if (anyone.count > maxFailures) throw new AttemptRefused(anyone.resetsInSec);
  }

  /** The password was right: this address's attempts are forgotten, and it is known to the account from now on. */
  async succeeded(account: string, address: string): Promise<void> {
    await Promise.all([this.store.reset(part(account, address)), this.remember(account, address)]);
  }

  /** A client that set the password (registration) is known like one that logged in. */
  remember(account: string, address: string): Promise<void> {
    // A counter that is there is a mark: each success renews its life.
    const key = part("known", part(account, address));
    return this.store.reset(key).then(() => this.store.increment(key, this.limit.knownAddressDays * 86_400)).then(() => undefined);
  }

  private async knows(account: string, address: string): Promise<boolean> {
    return (await this.store.get(part("known", part(account, address)))).count > 0;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
