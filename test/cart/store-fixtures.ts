/**
 * The two cart stores behind one test interface, so that every cart suite
 * runs the same cases against both (describe.each over STORE_KINDS): the
 * in-process store on a clock the test moves, and the Redis store on the
 * harness' private redis-server, where TTLs are read from Redis itself.
 */
import Redis from "ioredis";
import { MemoryCartStore, type CartStore } from "../../services/cart/cart-store";
import { RedisCartStore } from "../../services/cart/cart-redis-store";
import { startRedisServer, type RedisServer } from "../support/redis-server";

export const TEST_TTL_SEC = 7 * 24 * 3600;

export interface StoreFixture {
  /** A new store with its own empty key space, ready to serve. */
  create(opts?: { ttlSec?: number; commandTimeoutMs?: number }): Promise<CartStore>;
  /** Seconds until the user's cart expires, as the store keeps it; null when there is no cart. */
  secondsToLive(store: CartStore, userId: string): Promise<number | null>;
  /** Moves the user's cart `seconds` closer to its expiry. */
  age(store: CartStore, userId: string, seconds: number): Promise<void>;
  /** The private redis-server, on the Redis kind only. */
  redis?: RedisServer;
  teardown(): Promise<void>;
}

export interface StoreKind {
  name: string;
  setUp(): Promise<StoreFixture>;
}

const unique = () => Math.random().toString(36).slice(2, 10);

const memory: StoreKind = {
  name: "in-process store",
  async setUp() {
    let clock = Date.parse("2030-01-01T00:00:00Z");
    const stores: MemoryCartStore[] = [];
    const asMemory = (store: CartStore) => store as MemoryCartStore;
    return {
      async create(opts = {}) {
        const store = new MemoryCartStore({ ttlSec: opts.ttlSec ?? TEST_TTL_SEC, now: () => clock });
        stores.push(store);
        return store;
      },
      async secondsToLive(store, userId) {
        return asMemory(store).secondsToLive(userId);
      },
      async age(_store, _userId, seconds) {
        clock += seconds * 1000;
      },
      async teardown() {
        await Promise.all(stores.map((store) => store.close()));
      },
    };
  },
};

const redis: StoreKind = {
  name: "Redis store",
  async setUp() {
    const server = await startRedisServer();
    // The test's own connection, to look at what the store wrote.
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    // Outage tests stop the server under it; its reconnect attempts are not the test's subject.
    admin.on("error", () => undefined);
    const stores: RedisCartStore[] = [];
    const keyOf = (store: CartStore, userId: string) => (store as RedisCartStore).key(userId);
    return {
      redis: server,
      async create(opts = {}) {
        const store = new RedisCartStore({
          url: server.url,
          prefix: `test-${unique()}:cart:`,
          ttlSec: opts.ttlSec ?? TEST_TTL_SEC,
          commandTimeoutMs: opts.commandTimeoutMs ?? 1000,
        });
        stores.push(store);
        await store.ready();
        return store;
      },
      async secondsToLive(store, userId) {
        const ttl = await admin.ttl(keyOf(store, userId));
        return ttl < 0 ? null : ttl;
      },
      async age(store, userId, seconds) {
        const key = keyOf(store, userId);
        const left = await admin.pttl(key);
        // A non-positive PEXPIRE deletes the key, as its expiry would.
        if (left > 0) await admin.pexpire(key, left - seconds * 1000);
      },
      async teardown() {
        await Promise.all(stores.map((store) => store.close()));
        admin.disconnect();
        await server.stop();
      },
    };
  },
};

export const STORE_KINDS: StoreKind[] = [memory, redis];

/** For describe.each: `[name, kind]` rows. */
export const STORE_ROWS = STORE_KINDS.map((kind) => [kind.name, kind] as const);
