/**
 * The cart store's contract, the same on Redis and in process memory: lines
 * merge, limits hold atomically under concurrent writes, every write renews
 * the TTL, and each user's cart is their own.
 */
import type { CartStore } from "../../services/cart/cart-store";
import { STORE_ROWS, TEST_TTL_SEC, type StoreFixture } from "./store-fixtures";

const ROOMY = { maxQuantity: 999, maxLines: 100 };

describe.each(STORE_ROWS)("the cart store (%s)", (_name, kind) => {
  let fx: StoreFixture;
  let store: CartStore;

  beforeAll(async () => {
    fx = await kind.setUp();
  });
  afterAll(() => fx.teardown());
  beforeEach(async () => {
    store = await fx.create();
  });

  describe("removeBought (after a paid order)", () => {
    it("takes out what the order bought and keeps what was added meanwhile", async () => {
      await store.add("u1", "p1", 3, ROOMY); // 2 were bought, 1 was added during the checkout
      await store.add("u1", "p2", 1, ROOMY); // bought
      await store.add("u1", "p3", 4, ROOMY); // added during the checkout
      expect(await store.removeBought("u1", "o1", [{ productId: "p1", quantity: 2 }, { productId: "p2", quantity: 1 }])).toBe(2);
      expect(await store.lines("u1")).toEqual([{ productId: "p1", quantity: 1 }, { productId: "p3", quantity: 4 }]);
    });

    it("changes nothing when repeated for the same order (a retried call)", async () => {
      await store.add("u1", "p1", 5, ROOMY);
      await store.removeBought("u1", "o1", [{ productId: "p1", quantity: 2 }]);
      expect(await store.removeBought("u1", "o1", [{ productId: "p1", quantity: 2 }])).toBe(0);
      expect(await store.lines("u1")).toEqual([{ productId: "p1", quantity: 3 }]);
    });

    it("deletes a cart left with no lines, and minds a line removed meanwhile", async () => {
      await store.add("u1", "p1", 2, ROOMY);
      expect(await store.removeBought("u1", "o2", [{ productId: "p1", quantity: 2 }, { productId: "gone", quantity: 1 }])).toBe(1);
      expect(await store.lines("u1")).toEqual([]);
      expect(await fx.secondsToLive(store, "u1")).toBeNull();
    });
  });

  describe("lines", () => {
    it("has no lines for a user without a cart", async () => {
      expect(await store.lines("nobody")).toEqual([]);
      expect(await fx.secondsToLive(store, "nobody")).toBeNull();
    });

    it("creates a line on the first add and merges later adds into it", async () => {
      const first = await store.add("u1", "p1", 2, ROOMY);
      expect(first).toEqual({ outcome: "added", created: true, quantity: 2, lines: [{ productId: "p1", quantity: 2 }] });
      const second = await store.add("u1", "p1", 3, ROOMY);
      expect(second).toEqual({ outcome: "added", created: false, quantity: 5, lines: [{ productId: "p1", quantity: 5 }] });
      expect(await store.lines("u1")).toEqual([{ productId: "p1", quantity: 5 }]);
    });

    it("answers the lines ordered by product id", async () => {
      for (const id of ["p3", "p1", "p2"]) await store.add("u1", id, 1, ROOMY);
      expect((await store.lines("u1")).map((line) => line.productId)).toEqual(["p1", "p2", "p3"]);
    });

    it("sets the quantity of an existing line, and never creates one that way", async () => {
      await store.add("u1", "p1", 2, ROOMY);
      expect(await store.setQuantity("u1", "p1", 7)).toEqual({ outcome: "set", lines: [{ productId: "p1", quantity: 7 }] });
      expect(await store.setQuantity("u1", "p2", 1)).toEqual({ outcome: "missing", lines: [{ productId: "p1", quantity: 7 }] });
      expect(await store.setQuantity("u2", "p1", 1)).toEqual({ outcome: "missing", lines: [] });
      expect(await store.lines("u2")).toEqual([]);
    });

    it("removes one line, and removing an absent line changes nothing", async () => {
      await store.add("u1", "p1", 1, ROOMY);
      await store.add("u1", "p2", 1, ROOMY);
      expect(await store.remove("u1", "p1")).toEqual([{ productId: "p2", quantity: 1 }]);
      expect(await store.remove("u1", "p1")).toEqual([{ productId: "p2", quantity: 1 }]);
      expect(await store.remove("u1", "p2")).toEqual([]);
      expect(await fx.secondsToLive(store, "u1")).toBeNull();
    });

    it("clears a cart and says how many lines it had", async () => {
      await store.add("u1", "p1", 1, ROOMY);
      await store.add("u1", "p2", 4, ROOMY);
      expect(await store.clear("u1")).toBe(2);
      expect(await store.lines("u1")).toEqual([]);
      expect(await store.clear("u1")).toBe(0);
    });

    it("keeps each user's cart apart", async () => {
      await store.add("alice", "p1", 1, ROOMY);
      await store.add("bob", "p1", 5, ROOMY);
      await store.clear("bob");
      expect(await store.lines("alice")).toEqual([{ productId: "p1", quantity: 1 }]);
    });
  });

  describe("limits", () => {
    it("refuses an add that would take the line over its maximum, and leaves the line as it was", async () => {
      await store.add("u1", "p1", 8, ROOMY);
      const refused = await store.add("u1", "p1", 3, { maxQuantity: 10, maxLines: 100 });
      expect(refused).toEqual({ outcome: "over_quantity", quantity: 8, lines: [{ productId: "p1", quantity: 8 }] });
      expect(await store.add("u1", "p1", 2, { maxQuantity: 10, maxLines: 100 })).toMatchObject({ outcome: "added", quantity: 10 });
    });

    it("refuses a new line in a full cart but lets existing lines grow", async () => {
      const limits = { maxQuantity: 999, maxLines: 2 };
      await store.add("u1", "p1", 1, limits);
      await store.add("u1", "p2", 1, limits);
      expect(await store.add("u1", "p3", 1, limits)).toEqual({
        outcome: "cart_full",
        lines: [
          { productId: "p1", quantity: 1 },
          { productId: "p2", quantity: 1 },
        ],
      });
      expect(await store.add("u1", "p2", 1, limits)).toMatchObject({ outcome: "added", quantity: 2 });
    });
  });

  describe("concurrent writes", () => {
    it("loses no update: 50 simultaneous adds of 1 make 50", async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => store.add("u1", "p1", 1, ROOMY)));
      expect(results.filter((r) => r.outcome === "added" && r.created)).toHaveLength(1);
      expect(await store.lines("u1")).toEqual([{ productId: "p1", quantity: 50 }]);
    });

    it("lets exactly as many simultaneous adds through as the line's maximum allows", async () => {
      const results = await Promise.all(Array.from({ length: 30 }, () => store.add("u1", "p1", 1, { maxQuantity: 10, maxLines: 100 })));
      expect(results.filter((r) => r.outcome === "added")).toHaveLength(10);
      expect(results.filter((r) => r.outcome === "over_quantity")).toHaveLength(20);
      expect(await store.lines("u1")).toEqual([{ productId: "p1", quantity: 10 }]);
    });

    it("lets exactly as many simultaneous new lines in as the cart's maximum allows", async () => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.add("u1", `p${i}`, 1, { maxQuantity: 999, maxLines: 5 })));
      expect(results.filter((r) => r.outcome === "added")).toHaveLength(5);
      expect(results.filter((r) => r.outcome === "cart_full")).toHaveLength(7);
      expect(await store.lines("u1")).toHaveLength(5);
    });
  });

  describe("time to live", () => {
    const expectFullTtl = async (userId: string) => {
      const ttl = await fx.secondsToLive(store, userId);
      // Redis answers whole seconds, and one may have begun since the write.
      expect(ttl).toBeGreaterThanOrEqual(TEST_TTL_SEC - 1);
      expect(ttl).toBeLessThanOrEqual(TEST_TTL_SEC);
    };

    it("gives a new cart the configured time to live", async () => {
      await store.add("u1", "p1", 1, ROOMY);
      await expectFullTtl("u1");
    });

    it("renews it on every write: add, set and remove", async () => {
      await store.add("u1", "p1", 1, ROOMY);
      await store.add("u1", "p2", 1, ROOMY);
      const writes: (() => Promise<unknown>)[] = [
        () => store.add("u1", "p1", 1, ROOMY),
        () => store.setQuantity("u1", "p1", 5),
        () => store.remove("u1", "p2"),
      ];
      for (const write of writes) {
        await fx.age(store, "u1", 3600);
        expect(await fx.secondsToLive(store, "u1")).toBeLessThanOrEqual(TEST_TTL_SEC - 3600);
        await write();
        await expectFullTtl("u1");
      }
    });

    it("does not renew it on a read", async () => {
      await store.add("u1", "p1", 1, ROOMY);
      await fx.age(store, "u1", 3600);
      await store.lines("u1");
      expect(await fx.secondsToLive(store, "u1")).toBeLessThanOrEqual(TEST_TTL_SEC - 3600);
    });

    it("forgets a cart once its time to live has passed", async () => {
      await store.add("u1", "p1", 3, ROOMY);
      await fx.age(store, "u1", TEST_TTL_SEC + 1);
      expect(await store.lines("u1")).toEqual([]);
      // A later add starts a fresh line rather than reviving the old quantity.
      expect(await store.add("u1", "p1", 1, ROOMY)).toMatchObject({ outcome: "added", created: true, quantity: 1 });
    });
  });
});
