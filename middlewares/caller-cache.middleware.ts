/**
 * A cache in the caller's own process for answers of remote actions that
 * their service caches anyway (the catalog reads): a hit costs no trip over
 * NATS at all, which Moleculer's cacher (in the callee's process, or in
 * Redis) cannot avoid. Installed where the gateway runs (moleculer.config.ts).
 *
 * Kept as fresh as the callee's own cache: the callee's writes clean its
 * cache with a `cache.clean.<service>` broadcast (mixins/db.mixin.ts), and
 * that broadcast empties this cache too; a stock change's
 * `cache.clean-stock.<service>` removes only the answers that show the
 * products it names (and every list when one went in or out of stock:
 * platform/broker/stock-cache-clean.ts). A product written through this
 * gateway is seen fresh on its next read here: the broadcast leaves the
 * products node before the write's answer, on the same NATS connection. A
 * call already under way when a clean arrives does not store its (possibly
 * older) answer. A lost broadcast (a NATS reconnect) is bounded by the short
 * `ttlMs`, well under the 60 s a second node's own cacher would keep a copy;
 * and a transporter (re)connect empties the cache.
 *
 * Only calls that would leave the process are answered here (a local
 * service has its own cacher), only successful answers are kept, and a call
 * with `meta.$cache === false` or a chosen `nodeID` always goes through. The
 * answers handed out are shared, so they are frozen. A hit is answered before
 * Moleculer makes a context for the call: it shows in no request metric or
 * trace span of the callee (callerCacheStats counts hits and misses).
 */
import type { CallingOptions, Context, Middleware, ServiceBroker } from "moleculer";
import { TtlCache } from "../platform/ttl-cache";
import { mentions, stockCleanEvent, type StockClean } from "../platform/broker/stock-cache-clean";

export interface CallerCacheOptions {
  /** Full action name -> the params its answer depends on (the callee's own cache `keys`). */
  actions: Record<string, readonly string[]>;
  /** Upper bound on how long an answer is kept if a clean event is lost, ms. */
  ttlMs: number;
  /** Entries per service. */
  maxEntries: number;
}

interface ServiceCache {
  entries: TtlCache<unknown>;
  /** Bumped by every clean: a call started before it does not store its answer. */
  generation: number;
}

export interface CallerCacheStats {
  hits: number;
  misses: number;
  cleans: number;
}

/** What broker.call is called with: an action name, or (moleculer-web) the endpoint it has picked. */
type CallTarget = string | { action?: { name?: string }; local?: boolean };
type BrokerCall = (target: CallTarget, params?: unknown, opts?: CallingOptions) => Promise<unknown>;

const UNDEFINED = "\u0000";

/** The key of a call: its action and the values of `keys` in its params. */
export function callKey(action: string, keys: readonly string[], params: unknown): string {
  const source = (params ?? {}) as Record<string, unknown>;
  return `${action}:${keys.map((k) => (source[k] === undefined ? UNDEFINED : JSON.stringify(source[k]))).join("|")}`;
}

/**
 * A hit has no callee context, and must say so: Moleculer's wrapper of `call`
 * middlewares (interceptCallMiddleware) stamps the returned promise with the
 * context of the last call that went through `next`, whichever request made
 * it, and ctx.call then merges that context's meta into the caller's: another
 * request's `$statusCode` (a readiness 503), `$location` or `user`. This
 * `ctx` ignores the stamp.
 */
function withoutCalleeContext<T>(promise: Promise<T>): Promise<T> {
  return Object.defineProperty(promise, "ctx", { get: () => undefined, set: () => undefined });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/** The service part of `products.get` (versioned names like `v2.products.get` keep their version). */
const serviceOf = (action: string) => action.slice(0, action.lastIndexOf("."));

/** Stats of the caller cache of `broker` (tests, the REPL). */
export function callerCacheStats(broker: ServiceBroker): CallerCacheStats | undefined {
  return (broker as ServiceBroker & { callerCacheStats?: CallerCacheStats }).callerCacheStats;
}

/**
 * A middleware initialiser (Moleculer calls it with the broker), so that
 * each broker built from one options object gets a cache of its own.
 */
export function CallerCache(options: CallerCacheOptions): Middleware {
  const init = (broker: ServiceBroker) => {
    const services = new Map<string, ServiceCache>();
    for (const action of Object.keys(options.actions)) {
      const name = serviceOf(action);
      if (!services.has(name)) services.set(name, { entries: new TtlCache(options.maxEntries), generation: 0 });
    }
    const stats: CallerCacheStats = { hits: 0, misses: 0, cleans: 0 };
    (broker as ServiceBroker & { callerCacheStats?: CallerCacheStats }).callerCacheStats = stats;

    const clean = (cache: ServiceCache) => {
      cache.generation++;
      cache.entries.clear();
      stats.cleans++;
    };
    const cleanAll = () => services.forEach(clean);
    const cleanStock = (name: string, cache: ServiceCache, { ids, membership }: StockClean) => {
      // A call under way may answer from before the change: it does not store its answer.
      cache.generation++;
      const changed = new Set(ids);
      cache.entries.deleteWhere((key, answer) => (membership && key.startsWith(`${name}.list:`)) || mentions(answer, changed));
      stats.cleans++;
    };

    /** Whether this call may be answered here: to a remote endpoint only, no opt-out, no chosen node. */
    const cacheable = (target: CallTarget, actionName: string, opts: CallingOptions | undefined) => {
      if (opts?.nodeID) return false;
      if (opts?.meta?.$cache === false || (opts?.parentCtx?.meta as { $cache?: unknown } | undefined)?.$cache === false) return false;
      if (typeof target !== "string") return target.local === false;
      const endpoints = broker.registry.actions.get(actionName) as { hasLocal(): boolean } | undefined;
      return endpoints !== undefined && !endpoints.hasLocal();
    };

    return {
      name: "CallerCache",

      created() {
        // Events reach services only: a small internal one listens for the cleans.
        const events: Record<string, (ctx: Context<StockClean>) => void> = {
          "$transporter.connected": cleanAll,
          "$transporter.disconnected": cleanAll,
        };
        for (const [name, cache] of services) {
          events[`cache.clean.${name}`] = () => clean(cache);
          events[stockCleanEvent(name)] = (ctx) => cleanStock(name, cache, ctx.params);
        }
        broker.createService({ name: "$caller-cache", events });
      },

      call(next: BrokerCall): BrokerCall {
        return function callerCached(target, params, opts) {
          const actionName = typeof target === "string" ? target : target?.action?.name;
          const keys = actionName === undefined ? undefined : options.actions[actionName];
          if (keys === undefined || actionName === undefined || !cacheable(target, actionName, opts)) return next(target, params, opts);
          const cache = services.get(serviceOf(actionName))!;
          const key = callKey(actionName, keys, params);
          const hit = cache.entries.get(key);
          if (hit !== undefined) {
            stats.hits++;
            return withoutCalleeContext(Promise.resolve(hit));
          }
          stats.misses++;
          const generation = cache.generation;
          const call = next(target, params, opts);
          const stored = call.then((answer) => {
            if (answer !== undefined && cache.generation === generation) cache.entries.set(key, deepFreeze(answer), options.ttlMs);
            return answer;
          });
          // ctx.call merges the callee's meta from the promise's context.
          return Object.assign(stored, { ctx: (call as Promise<unknown> & { ctx?: unknown }).ctx });
        };
      },
    };
  };
  // Moleculer's types list middleware objects only; its runtime takes an initialiser as well.
  return init as unknown as Middleware;
}
