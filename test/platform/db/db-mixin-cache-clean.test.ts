/**
 * DbMixin's cache cleaning: a write of a service with cached actions cleans
 * its entries here and tells every node; a write of a service without any
 * (orders, payments, users...) tells nobody, since no cacher holds anything
 * of it.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../../mixins/db.mixin";
import { startLocalPlatform, type LocalPlatform } from "../../support/local-platform";
import { waitUntil } from "../../support/wait-until";

type Writer = DbMethods;

const cleans: string[] = [];
const Listener: ServiceSchema = {
  name: "listener",
  events: {
    "cache.clean.**"(ctx: Context) {
      cleans.push(String(ctx.eventName));
    },
  },
};

/** A service with its own cached read, and one without any cached action. */
const Cached: ServiceSchema = {
  name: "cached",
  mixins: [DbMixin({ collection: "cached_things" })],
  actions: {
    read: {
      cache: { keys: ["id"] },
      params: { id: "string" },
      async handler(this: Service, ctx: Context<{ id: string }>) {
        return (this as unknown as Writer).findEntityById(ctx.params.id);
      },
    },
  },
};
const Uncached: ServiceSchema = {
  name: "uncached",
  mixins: [DbMixin({ collection: "uncached_things" })],
  actions: {
    read: {
      params: { id: "string" },
      async handler(this: Service, ctx: Context<{ id: string }>) {
        return (this as unknown as Writer).findEntityById(ctx.params.id);
      },
    },
  },
};
/** moleculer-db's own `get` is cached: asking for it counts as caching. */
const Generated: ServiceSchema = { name: "generated", mixins: [DbMixin({ collection: "generated_things", actions: ["get"] })] };

let platform: LocalPlatform;
const service = (name: string) => platform.broker.getLocalService(name) as unknown as Writer;

beforeAll(async () => {
  platform = await startLocalPlatform({ services: [Listener, Cached, Uncached, Generated] });
});
afterAll(() => platform.stop());

describe("DbMixin cache cleaning", () => {
  it("cleans a service's cached answers on every write and tells the other nodes", async () => {
    const doc = await service("cached").insertEntity({ name: "first" });
    await expect(platform.broker.call("cached.read", { id: doc.id })).resolves.toMatchObject({ name: "first" });
    await service("cached").updateWhere({ _id: doc.id }, { $set: { name: "second" } });
    await expect(platform.broker.call("cached.read", { id: doc.id })).resolves.toMatchObject({ name: "second" });
    await waitUntil(() => cleans.filter((e) => e === "cache.clean.cached").length >= 2, { description: "two cache.clean.cached broadcasts", timeoutMs: 2000, intervalMs: 5 });
  });

  it("counts moleculer-db's cached generated actions", async () => {
    await service("generated").insertEntity({ name: "g" });
    await waitUntil(() => cleans.includes("cache.clean.generated"), { description: "a cache.clean.generated broadcast", timeoutMs: 2000, intervalMs: 5 });
  });

  it("has each service with cached actions listen to its own cleans only, and no other service listen at all", () => {
    const listening = platform.broker.registry
      .getEventList({ onlyLocal: true, skipInternal: true })
      // ($caller-cache, the gateway's own cache of products, is not a DbMixin service.)
      .filter((event: { name: string; group: string }) => event.name.startsWith("cache.clean.") && !event.group.startsWith("$"))
      .map((event: { name: string; group: string }) => `${event.group}: ${event.name}`)
      .sort();
    expect(listening).toEqual(["cached: cache.clean.cached", "generated: cache.clean.generated", "listener: cache.clean.**"]);
  });

  it("sends nothing for a service without cached actions", async () => {
    const clean = jest.spyOn(platform.broker.cacher!, "clean");
    try {
      const doc = await service("uncached").insertEntity({ name: "first" });
      await service("uncached").updateWhere({ _id: doc.id }, { $set: { name: "second" } });
      await expect(platform.broker.call("uncached.read", { id: doc.id })).resolves.toMatchObject({ name: "second" });
      // A write of the cached service afterwards: its broadcast arrives, none of the uncached one came before it.
      const from = cleans.length;
      await service("cached").insertEntity({ name: "marker" });
      await waitUntil(() => cleans.slice(from).includes("cache.clean.cached"), { description: "the marker's broadcast", timeoutMs: 2000, intervalMs: 5 });
      expect(cleans).not.toContain("cache.clean.uncached");
      expect(clean.mock.calls.map(([match]) => match)).not.toContain("uncached.**");
    } finally {
      clean.mockRestore();
    }
  });
});
