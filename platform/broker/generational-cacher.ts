/**
 * Moleculer's cacher stores an action's answer after the handler returns, so
 * an answer read from the store before a write and returned after the write's
 * cache clean would be stored anyway and served until its TTL (60 s): a
 * `products.get` racing a stock update showed the old stock for a minute.
 *
 * Here every clean (and del) is numbered as it starts; a call notes the
 * number before it looks in the cache, and its answer is stored only when no
 * clean matching its key has started since. Cleans are kept in a bounded log:
 * a call older than the log's oldest entry stores nothing (it could not be
 * told apart from a stale one).
 *
 * Covers what the cacher itself sees: cleans on this node, and those other
 * nodes broadcast (mixins/db.mixin.ts) once they arrive. Actions cached with
 * `lock` go through moleculer's own path unchanged (none of this platform's do).
 */
import { Cachers, Utils, type Context } from "moleculer";
import { ResilientRedisCacher } from "./resilient-redis-cacher";

const LOG_ENTRIES = 2_000;

/** The cleans seen lately, numbered in the order they started. */
export class CleanLog {
  private generation = 0;
  private forgottenUpTo = 0;
  private readonly entries: { generation: number; patterns: string[] }[] = [];

  constructor(private readonly maxEntries = LOG_ENTRIES) {}

  /** The number of the last clean started. */
  current(): number {
    return this.generation;
  }

  record(patterns: string[]): void {
    this.generation += 1;
    this.entries.push({ generation: this.generation, patterns });
    if (this.entries.length > this.maxEntries) this.forgottenUpTo = this.entries.shift()!.generation;
  }

  /** Whether a clean matching `key` started after clean number `since` (or may have: the log forgot it). */
  cleanedSince(key: string, since: number): boolean {
    if (since < this.forgottenUpTo) return true;
    for (let i = this.entries.length - 1; i >= 0 && this.entries[i].generation > since; i--) {
      if (this.entries[i].patterns.some((pattern) => Utils.match(key, pattern))) return true;
    }
    return false;
  }
}

type Handler = (ctx: Context) => Promise<unknown>;
/** What of moleculer's cachers (Memory, Redis) this relies on. */
interface Cacher {
  opts: unknown;
  get(key: string): Promise<unknown>;
  set(key: string, data: unknown, ttl?: number): Promise<unknown>;
  del(key: string | string[]): Promise<unknown>;
  clean(match?: string | string[]): Promise<unknown>;
  middlewareWithoutLock(ctx: Context, cacheKey: string, handler: Handler, opts: unknown): Promise<unknown>;
}
type CacherClass = new (...args: any[]) => Cacher;

/** The cacher `Base`, storing no answer older than the last clean of its key. */
export function Generational<TBase extends CacherClass>(Base: TBase) {
  class GenerationalCacher extends Base {
    readonly cleans = new CleanLog();

    override clean(match: string | string[] = "**"): Promise<unknown> {
      this.cleans.record(Array.isArray(match) ? match : [match]);
      return super.clean(match);
    }

    override del(key: string | string[]): Promise<unknown> {
      this.cleans.record(Array.isArray(key) ? key : [key]);
      return super.del(key);
    }

    override middlewareWithoutLock(ctx: Context, cacheKey: string, handler: Handler, opts: { ttl?: number }): Promise<unknown> {
      const since = this.cleans.current();
      const missing = (this.opts as { missingResponse?: unknown }).missingResponse;
      return this.get(cacheKey).then((content) => {
        if (content !== missing) {
          ctx.cachedResult = true;
          return content;
        }
        return handler(ctx).then((result) => {
          if (!this.cleans.cleanedSince(cacheKey, since)) void this.set(cacheKey, result, opts.ttl);
          return result;
        });
      });
    }
  }
  return GenerationalCacher;
}

export const GenerationalMemoryCacher = Generational(Cachers.Memory);
export const GenerationalRedisCacher = Generational(ResilientRedisCacher);
export const GenerationalMemoryLRUCacher = Generational(Cachers.MemoryLRU);
