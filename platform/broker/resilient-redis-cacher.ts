/**
 * Moleculer's Redis cacher, made to fail open: while Redis is unreachable a
 * read is a miss and a write is skipped, so cached actions (the catalog) keep
 * answering from their own store instead of waiting on Redis until the
 * request times out. Invalidations sent during an outage are lost, so the
 * cache is emptied when Redis comes back.
 */
import { Cachers } from "moleculer";

interface ResilientOptions {
  redis: string;
  prefix: string;
  ttl: number;
  maxParamsLength?: number;
  /** Upper bound for one Redis command, in ms. */
  commandTimeoutMs: number;
}

const WARN_EVERY_MS = 10_000;

export class ResilientRedisCacher extends Cachers.Redis {
  private lastWarning = 0;
  private missedInvalidation = false;

  constructor(opts: ResilientOptions) {
    super({
      prefix: opts.prefix,
      ttl: opts.ttl,
      maxParamsLength: opts.maxParamsLength,
      redlock: false,
      redis: {
        ...redisOptionsFromUrl(opts.redis),
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: opts.commandTimeoutMs,
        connectTimeout: Math.max(opts.commandTimeoutMs, 1000),
        retryStrategy: (times: number) => Math.min(times * 200, 1000),
      },
    } as unknown as ConstructorParameters<typeof Cachers.Redis>[0]);
  }

  override init(broker: Parameters<Cachers.Redis["init"]>[0]): void {
    super.init(broker);
    const client = (this as unknown as { client: { on(event: string, fn: () => void): void } }).client;
    client.on("ready", () => {
      if (!this.missedInvalidation) return;
      this.missedInvalidation = false;
      this.logger.info("Redis is back: emptying the cache, invalidations during the outage were lost.");
      void this.clean("**").catch(() => (this.missedInvalidation = true));
    });
  }

  override get(key: string): Promise<Record<string, unknown> | null> {
    // What the cache middleware reads as "not cached" (moleculer's `missingResponse`, undefined by default).
    const miss = (this.opts as { missingResponse?: unknown }).missingResponse as Record<string, unknown> | null;
    if (!this.isConnected()) return Promise.resolve(miss);
    return super.get(key).catch((err: Error) => this.failOpen("read", err, miss));
  }

  override set(key: string, data: unknown, ttl?: number): Promise<void> {
    if (!this.isConnected()) return Promise.resolve();
    return super.set(key, data, ttl).catch((err: Error) => this.failOpen("write", err, undefined));
  }

  override del(deleteTargets: string | string[]): Promise<void> {
    return super.del(deleteTargets).catch((err: Error) => {
      this.missedInvalidation = true;
      return this.failOpen("delete", err, undefined);
    });
  }

  override clean(match?: string | string[]): Promise<void> {
    if (!this.isConnected()) {
      this.missedInvalidation = true;
      return Promise.resolve();
    }
    return super.clean(match).catch((err: Error) => {
      this.missedInvalidation = true;
      return this.failOpen("clean", err, undefined);
    });
  }

  private isConnected(): boolean {
    return (this as unknown as { connected: boolean }).connected === true;
  }

  private failOpen<T>(operation: string, err: Error, fallback: T): T {
    const now = Date.now();
    if (now - this.lastWarning > WARN_EVERY_MS) {
      this.lastWarning = now;
      this.logger.warn(`Redis cache ${operation} failed, serving without the cache: ${err.message}`);
    }
    return fallback;
  }
}

/** ioredis takes a URL only as its first constructor argument; moleculer passes options. */
export function redisOptionsFromUrl(url: string): Record<string, unknown> {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, "");
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
  };
}
