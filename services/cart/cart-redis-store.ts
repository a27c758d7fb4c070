/**
 * Carts in Redis: one hash per user, `<prefix><userId>`, field productId ->
 * quantity, expiring `ttlSec` after its last write.
 *
 * Every write is one Lua script: the limit checks, the write, the renewed
 * TTL and the read-back of the cart happen in one step that no other client
 * can interleave with, so concurrent adds from several tabs or nodes sum up
 * and never overshoot a limit.
 *
 * Failing fast matters more than patience here: while Redis is away a
 * command is refused at once (no offline queue) or within `commandTimeoutMs`
 * (a Redis that hangs), well inside the request timeout, and the service
 * turns that into a 503. ioredis keeps reconnecting in the background, so the
 * cart comes back by itself.
 */
import type { StockLine } from "../../contracts/stock-lines";
import Redis, { ReplyError } from "ioredis";
import { CartStoreUnavailableError, sortedLines, type AddLimits, type AddResult, type CartLine, type CartStore, type SetResult } from "./cart-store";

export interface RedisCartStoreOptions {
  url: string;
  /** Key prefix, e.g. `shop:cart:` (the namespace keeps clusters sharing a Redis apart). */
  prefix: string;
  ttlSec: number;
  /** A command unanswered for this long fails (a Redis that accepts connections but hangs). */
  commandTimeoutMs: number;
  /** Told when the connection comes up or goes down, for the service's log. */
  onStateChange?: (state: "ready" | "down", detail?: string) => void;
}

/**
 * A tenth of the request timeout, at most 1 s: a request that retries a
 * failed read (four attempts) still answers 503 before the broker gives up on
 * it with a 504.
 */
export function commandTimeoutWithin(requestTimeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 10)));
}

// KEYS[1] cart; ARGV productId, quantity, maxQuantity, maxLines, ttlSec.
const ADD = `
local raw = redis.call("HGET", KEYS[1], ARGV[1])
local current = raw and tonumber(raw) or 0
local wanted = current + tonumber(ARGV[2])
local outcome = "added"
if wanted > tonumber(ARGV[3]) then
  outcome = "over_quantity"
elseif current == 0 and redis.call("HLEN", KEYS[1]) >= tonumber(ARGV[4]) then
  outcome = "cart_full"
else
  redis.call("HSET", KEYS[1], ARGV[1], wanted)
  redis.call("EXPIRE", KEYS[1], ARGV[5])
end
return { outcome, current, redis.call("HGETALL", KEYS[1]) }
`;

// KEYS[1] cart; ARGV productId, quantity, ttlSec. Only an existing line: setting one never creates it.
const SET = `
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 0 then
  return { "missing", redis.call("HGETALL", KEYS[1]) }
end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
redis.call("EXPIRE", KEYS[1], ARGV[3])
return { "set", redis.call("HGETALL", KEYS[1]) }
`;

// KEYS[1] cart; ARGV productId, ttlSec. EXPIRE on a key the HDEL emptied (and so deleted) does nothing.
const REMOVE = `
redis.call("HDEL", KEYS[1], ARGV[1])
redis.call("EXPIRE", KEYS[1], ARGV[2])
return redis.call("HGETALL", KEYS[1])
`;

const CLEAR = `
local count = redis.call("HLEN", KEYS[1])
redis.call("DEL", KEYS[1])
return count
`;

// KEYS[1] cart, KEYS[2] the order's marker; ARGV ttlSec, then productId, quantity pairs.
// The marker (SET NX) makes a repeat of the same order's removal change nothing.
const REMOVE_BOUGHT = `
if not redis.call("SET", KEYS[2], "1", "NX", "EX", ARGV[1]) then return 0 end
local changed = 0
for i = 2, #ARGV, 2 do
  local raw = redis.call("HGET", KEYS[1], ARGV[i])
  if raw then
    local left = tonumber(raw) - tonumber(ARGV[i + 1])
    if left > 0 then redis.call("HSET", KEYS[1], ARGV[i], left) else redis.call("HDEL", KEYS[1], ARGV[i]) end
    changed = changed + 1
  end
end
return changed
`;

const SCRIPTS = { cartAdd: ADD, cartSet: SET, cartRemove: REMOVE, cartClear: CLEAR };
type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (key: string, ...args: (string | number)[]) => Promise<unknown>;

// Error replies that mean "not now" rather than "wrong command".
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/** HGETALL's flat [field, value, field, value...] as lines. */
function linesOf(flat: unknown): CartLine[] {
  const values = Array.isArray(flat) ? (flat as unknown[]) : [];
  const entries: [string, number][] = [];
  for (let i = 0; i + 1 < values.length; i += 2) entries.push([String(values[i]), Number(values[i + 1])]);
  return sortedLines(entries);
}

export class RedisCartStore implements CartStore {
  private readonly redis: Redis;
  private readonly scripts: Record<ScriptName, ScriptCall>;
  /** undefined until the first connection attempt settles, so that one is reported too. */
  private up: boolean | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: RedisCartStoreOptions) {
    this.redis = new Redis(opts.url, {
      // Refuse commands while disconnected instead of queueing them until the request times out.
      enableOfflineQueue: false,
      // 0: a command in flight when the connection drops fails, never goes out again. An add that
      // reached Redis but lost its reply would otherwise be applied twice.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: opts.commandTimeoutMs,
      commandTimeout: opts.commandTimeoutMs,
      // Keep trying for ever, at most a second apart: the cart comes back soon after Redis does.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    this.redis.on("ready", () => this.changed(true));
    // Without a listener ioredis prints every failed reconnect attempt on stderr.
    this.redis.on("error", (err: Error) => this.changed(false, err.message));
    this.redis.on("end", () => this.changed(false, "connection closed"));
    for (const [name, lua] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys: 1, lua });
    this.redis.defineCommand("cartRemoveBought", { numberOfKeys: 2, lua: REMOVE_BOUGHT });
    const commands = this.redis as unknown as Record<ScriptName, ScriptCall>;
    this.scripts = Object.fromEntries(
      (Object.keys(SCRIPTS) as ScriptName[]).map((name) => [name, commands[name].bind(this.redis)]),
    ) as Record<ScriptName, ScriptCall>;
  }

  ready(): Promise<void> {
    if (this.redis.status === "ready") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.redis.off("ready", onReady);
        if (err) reject(new CartStoreUnavailableError(err));
        else resolve();
      };
      const onReady = () => done();
      // Reconnect attempts go on after this: only the wait ends.
      const timer = setTimeout(() => done(new Error(`not connected within ${this.opts.commandTimeoutMs} ms`)), this.opts.commandTimeoutMs);
      this.redis.once("ready", onReady);
    });
  }

  lines(userId: string): Promise<CartLine[]> {
    return this.guard(async () => {
      const hash = await this.redis.hgetall(this.key(userId));
      return sortedLines(Object.entries(hash).map(([productId, quantity]) => [productId, Number(quantity)]));
    });
  }

  add(userId: string, productId: string, quantity: number, limits: AddLimits): Promise<AddResult> {
    return this.guard(async () => {
      const reply = await this.scripts.cartAdd(this.key(userId), productId, quantity, limits.maxQuantity, limits.maxLines, this.opts.ttlSec);
      const [outcome, current, flat] = reply as [string, number, unknown];
      const lines = linesOf(flat);
      if (outcome === "over_quantity") return { outcome, quantity: current, lines };
      if (outcome === "cart_full") return { outcome, lines };
      return { outcome: "added", created: current === 0, quantity: current + quantity, lines };
    });
  }

  setQuantity(userId: string, productId: string, quantity: number): Promise<SetResult> {
    return this.guard(async () => {
      const [outcome, flat] = (await this.scripts.cartSet(this.key(userId), productId, quantity, this.opts.ttlSec)) as [string, unknown];
      return { outcome: outcome === "set" ? "set" : "missing", lines: linesOf(flat) };
    });
  }

  remove(userId: string, productId: string): Promise<CartLine[]> {
    return this.guard(async () => linesOf(await this.scripts.cartRemove(this.key(userId), productId, this.opts.ttlSec)));
  }

  clear(userId: string): Promise<number> {
    return this.guard(async () => Number(await this.scripts.cartClear(this.key(userId))));
  }

  removeBought(userId: string, orderId: string, bought: StockLine[]): Promise<number> {
    const removeBought = (this.redis as unknown as { cartRemoveBought(cart: string, marker: string, ...args: (string | number)[]): Promise<unknown> }).cartRemoveBought;
    const pairs = bought.flatMap(({ productId, quantity }) => [productId, quantity]);
    return this.guard(async () => Number(await removeBought.call(this.redis, this.key(userId), `${this.opts.prefix}bought:${orderId}`, this.opts.ttlSec, ...pairs)));
  }

  close(): Promise<void> {
    // Once: a second QUIT or disconnect on a closing connection leaves a stray timer behind.
    this.closing ??= this.redis.status === "ready"
      ? this.redis.quit().then(
          () => undefined,
          () => this.redis.disconnect(),
        )
      : // QUIT needs a connection; without one there is nothing to close politely.
        Promise.resolve(this.redis.disconnect());
    return this.closing;
  }

  key(userId: string): string {
    return this.opts.prefix + userId;
  }

  /** Connection failures and timeouts become CartStoreUnavailableError; an error reply to a wrong command stays a bug. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof ReplyError && !TRANSIENT_REPLY.test((err as Error).message)) throw err;
      throw new CartStoreUnavailableError(err);
    }
  }

  private changed(up: boolean, detail?: string): void {
    // Our own close is no outage worth reporting.
    if (up === this.up || this.closing) return;
    this.up = up;
    this.opts.onStateChange?.(up ? "ready" : "down", detail);
  }
}
