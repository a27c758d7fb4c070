import { TtlCache } from "../../platform/ttl-cache";

describe("TtlCache", () => {
  let now = 1000;
  const clock = () => now;

  it("forgets an entry when its time is up", () => {
    const cache = new TtlCache<string>(10, clock);
    cache.set("t", "alice", 500);
    now += 499;
    expect(cache.get("t")).toBe("alice");
    now += 1;
    expect(cache.get("t")).toBeUndefined();
  });

  it("drops the oldest entry when full", () => {
    const cache = new TtlCache<number>(2, clock);
    cache.set("a", 1, 1000);
    cache.set("b", 2, 1000);
    cache.set("c", 3, 1000);
    expect(cache.get("a")).toBeUndefined();
    expect([cache.get("b"), cache.get("c"), cache.size]).toEqual([2, 3, 2]);
  });

  it("stores nothing for a zero ttl (caching switched off)", () => {
    const cache = new TtlCache<number>(2, clock);
    cache.set("a", 1, 0);
    expect(cache.get("a")).toBeUndefined();
  });
});
