/**
 * docs/api.md "Cart" through the gateway, on the Redis store and on the
 * in-process store alike: each row of the table, the merge of repeated adds,
 * the limits and the errors that name the field, prices and flags read from
 * the catalog at view time in one batched call, the TTL, and carts that
 * belong to their user only.
 */
import type { CartStore } from "../../services/cart/cart-store";
import type { CartView } from "../../services/cart/cart-view";
import type { AdminProduct } from "../../services/products/product-model";
import { ALICE, BOB, TOKENS, startCartPlatform, type CartPlatform } from "./cart-platform";
import { STORE_ROWS, TEST_TTL_SEC, type StoreFixture } from "./store-fixtures";

interface ErrorBody {
  name: string;
  message: string;
  code: number;
  type: string;
  data?: any;
}

const alice: { token: string } = { token: TOKENS.alice };
const bob: { token: string } = { token: TOKENS.bob };

const EMPTY: CartView = { items: [], itemCount: 0, subtotal: 0, currency: null };

describe.each(STORE_ROWS)("the cart API (%s)", (_name, kind) => {
  let fx: StoreFixture;
  let store: CartStore;
  let shop: CartPlatform;

  const cartOf = async (token: { token: string }) => {
    const res = await shop.http.get<CartView>("/cart", token);
    expect(res.status).toBe(200);
    return res.body;
  };
  const add = (productId: string, quantity: number, as = alice) => shop.http.post<CartView & ErrorBody>("/cart/items", { productId, quantity }, as);
  const setQuantity = (productId: string, quantity: unknown, as = alice) =>
    shop.http.patch<CartView & ErrorBody>(`/cart/items/${encodeURIComponent(productId)}`, { quantity }, as);
  const product = (overrides: Record<string, unknown> = {}) => shop.createProduct(overrides);

  beforeAll(async () => {
    fx = await kind.setUp();
    store = await fx.create();
    shop = await startCartPlatform({ store });
  });
  afterAll(async () => {
    await shop?.stop();
    await fx?.teardown();
  });
  beforeEach(async () => {
    for (const who of [alice, bob]) expect((await shop.http.delete("/cart", undefined, who)).status).toBe(200);
    shop.getManyCalls.length = 0;
  });

  describe("GET /cart", () => {
    it("answers an empty cart for a user who never added anything", async () => {
      expect(await cartOf(alice)).toEqual(EMPTY);
    });

    it("requires a token", async () => {
      const res = await shop.http.get<ErrorBody>("/cart");
      expect(res.status).toBe(401);
      expect(res.body.type).toBe("NO_TOKEN");
    });

    it("prices each line from the catalog in integer cents", async () => {
      const mug = await product({ name: "Mug", price: 1250, stock: 10 });
      const pen = await product({ name: "Pen", price: 199, stock: 10 });
      await add(mug.id, 2);
      await add(pen.id, 3);
      expect(await cartOf(alice)).toEqual({
        items: [
          { productId: mug.id, sku: mug.sku, name: "Mug", unitPrice: 1250, quantity: 2, lineTotal: 2500 },
          { productId: pen.id, sku: pen.sku, name: "Pen", unitPrice: 199, quantity: 3, lineTotal: 597 },
        ],
        itemCount: 5,
        subtotal: 3097,
        currency: "USD",
      });
    });

    it("reads the catalog's current price at view time", async () => {
      const lamp = await product({ price: 5000 });
      await add(lamp.id, 2);
      await shop.platform.broker.call("products.update", { id: lamp.id, price: 4500 });
      const cart = await cartOf(alice);
      expect(cart.items[0]).toMatchObject({ unitPrice: 4500, lineTotal: 9000 });
      expect(cart.subtotal).toBe(9000);
    });

    it("looks all lines up with one products.getMany call, not one per line", async () => {
      const ids = (await Promise.all([product(), product(), product(), product()])).map((p) => p.id);
      for (const id of ids) await add(id, 1);
      shop.getManyCalls.length = 0;
      await cartOf(alice);
      expect(shop.getManyCalls).toHaveLength(1);
      expect([...shop.getManyCalls[0]].sort()).toEqual([...ids].sort());
    });

    it("flags a line whose product was archived, and leaves it out of the totals", async () => {
      const kept = await product({ name: "Kept", price: 1000 });
      const gone = await product({ name: "Gone", price: 700 });
      await add(kept.id, 1);
      await add(gone.id, 2);
      await shop.platform.broker.call("products.remove", { id: gone.id });
      const cart = await cartOf(alice);
      expect(cart.items.find((i) => i.productId === gone.id)).toEqual({
        productId: gone.id,
        sku: gone.sku,
        name: "Gone",
        unitPrice: 700,
        quantity: 2,
        lineTotal: 1400,
        available: 0,
        problem: "archived",
      });
      expect(cart).toMatchObject({ itemCount: 1, subtotal: 1000, currency: "USD" });
    });

    it("flags a line that is now short of stock, with what is still available", async () => {
      const scarce = await product({ price: 300, stock: 10 });
      await add(scarce.id, 6);
      await shop.platform.broker.call("products.adjustStock", { id: scarce.id, set: 4 });
      const cart = await cartOf(alice);
      expect(cart.items[0]).toMatchObject({ quantity: 6, lineTotal: 1800, available: 4, problem: "insufficient_stock" });
      expect(cart).toMatchObject({ itemCount: 0, subtotal: 0 });
    });
  });

  describe("POST /cart/items", () => {
    it("creates a line with 201 and answers the cart", async () => {
      const mug = await product({ price: 1250 });
      const res = await add(mug.id, 2);
      expect(res.status).toBe(201);
      expect(res.headers.get("location")).toBe("/api/cart");
      expect(res.body).toMatchObject({ items: [{ productId: mug.id, quantity: 2, lineTotal: 2500 }], itemCount: 2, subtotal: 2500, currency: "USD" });
    });

    it("merges into an existing line (200), summing the quantities", async () => {
      const mug = await product();
      await add(mug.id, 2);
      const res = await add(mug.id, 3);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([expect.objectContaining({ productId: mug.id, quantity: 5 })]);
    });

    it("prices from the catalog whatever price the client sends", async () => {
      const mug = await product({ price: 1250 });
      const res = await shop.http.post<CartView>("/cart/items", { productId: mug.id, quantity: 1, unitPrice: 1, price: 1 }, alice);
      expect(res.body.subtotal).toBe(1250);
    });

    it("looks the product and the cart's lines up in one products.getMany call", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 1);
      shop.getManyCalls.length = 0;
      await add(b.id, 1);
      expect(shop.getManyCalls).toHaveLength(1);
    });

    it("answers 404 for an unknown product and for an archived one", async () => {
      const unknown = await add("no-such-product", 1);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ type: "NOT_FOUND", data: { field: "productId", productId: "no-such-product" } });
      const archived = await product();
      await shop.platform.broker.call("products.remove", { id: archived.id });
      expect((await add(archived.id, 1)).status).toBe(404);
      expect(await cartOf(alice)).toEqual(EMPTY);
    });

    it("answers 409 when the line would hold more than is in stock, and changes nothing", async () => {
      const scarce = await product({ stock: 5 });
      await add(scarce.id, 3);
      const res = await add(scarce.id, 3);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: "OUT_OF_STOCK", data: { field: "quantity", productId: scarce.id, requested: 6, available: 5, inCart: 3 } });
      expect((await cartOf(alice)).items[0].quantity).toBe(3);
      expect((await add(scarce.id, 2)).status).toBe(200);
    });

    it.each([
      ["zero", 0],
      ["negative", -1],
      ["over 999", 1000],
      ["fractional", 1.5],
      ["a string", "2"],
      ["missing", undefined],
    ])("answers 422 naming `quantity` when it is %s", async (_case, quantity) => {
      const mug = await product();
      const res = await shop.http.post<ErrorBody>("/cart/items", { productId: mug.id, quantity }, alice);
      expect(res.status).toBe(422);
      expect(res.body.data.map((d: { field: string }) => d.field)).toEqual(["quantity"]);
    });

    it("answers 422 naming `productId` when it is missing or not a string", async () => {
      for (const body of [{ quantity: 1 }, { productId: 42, quantity: 1 }, { productId: "", quantity: 1 }]) {
        const res = await shop.http.post<ErrorBody>("/cart/items", body, alice);
        expect(res.status).toBe(422);
        expect(res.body.data.map((d: { field: string }) => d.field)).toEqual(["productId"]);
      }
    });

    it("answers 422 naming `quantity` when the line would exceed 999 units", async () => {
      const plenty = await product({ stock: 5000 });
      await add(plenty.id, 900);
      const res = await add(plenty.id, 100);
      expect(res.status).toBe(422);
      expect(res.body.data).toEqual([expect.objectContaining({ field: "quantity", message: expect.stringContaining("at most 99 more") })]);
      expect((await add(plenty.id, 99)).body.items[0].quantity).toBe(999);
    });

    it("answers 409 CART_FULL naming `productId` for a 101st product, while existing lines can still grow", async () => {
      const products: AdminProduct[] = [];
      for (let i = 0; i < 101; i++) products.push(await product({ stock: 50 }));
      for (const p of products.slice(0, 100)) expect((await add(p.id, 1)).status).toBe(201);
      const res = await add(products[100].id, 1);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: "CART_FULL", data: { field: "productId", maxLines: 100 } });
      expect((await add(products[0].id, 1)).status).toBe(200);
      expect((await cartOf(alice)).items).toHaveLength(100);
    });

    it("answers 409 CURRENCY_MISMATCH for a product priced in another currency than the cart", async () => {
      const dollars = await product({ currency: "USD" });
      const euros = await product({ currency: "EUR" });
      await add(dollars.id, 1);
      const res = await add(euros.id, 1);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: "CURRENCY_MISMATCH", data: { field: "productId", cartCurrency: "USD", productCurrency: "EUR" } });
      // An emptied cart takes any currency again.
      await shop.http.delete("/cart", undefined, alice);
      expect((await add(euros.id, 1)).body.currency).toBe("EUR");
    });

    it("loses no update: 50 parallel adds of 1 make a line of 50", async () => {
      const popular = await product({ stock: 100 });
      const statuses = (await Promise.all(Array.from({ length: 50 }, () => add(popular.id, 1)))).map((res) => res.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect((await cartOf(alice)).items[0].quantity).toBe(50);
    });

    it("never lets parallel adds take a line past the stock", async () => {
      const scarce = await product({ stock: 7 });
      const statuses = (await Promise.all(Array.from({ length: 20 }, () => add(scarce.id, 1)))).map((res) => res.status);
      expect(statuses.filter((s) => s === 409)).toHaveLength(13);
      expect((await cartOf(alice)).items[0].quantity).toBe(7);
    });
  });

  describe("PATCH /cart/items/:productId", () => {
    it("sets the line's quantity", async () => {
      const mug = await product({ price: 100 });
      await add(mug.id, 5);
      const res = await setQuantity(mug.id, 2);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ items: [{ productId: mug.id, quantity: 2 }], subtotal: 200 });
    });

    it("removes the line with quantity 0", async () => {
      const mug = await product();
      await add(mug.id, 5);
      const res = await setQuantity(mug.id, 0);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(EMPTY);
    });

    it("answers 404 for a product that is not in the cart, and does not add it", async () => {
      const mug = await product();
      const res = await setQuantity(mug.id, 2);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ message: "Cart line not found", data: { field: "productId", productId: mug.id } });
      expect(await cartOf(alice)).toEqual(EMPTY);
    });

    it("answers 409 for more than is in stock", async () => {
      const scarce = await product({ stock: 4 });
      await add(scarce.id, 1);
      const res = await setQuantity(scarce.id, 5);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: "OUT_OF_STOCK", data: { field: "quantity", available: 4 } });
    });

    it("answers 404 for a line whose product was archived (it can only be removed)", async () => {
      const gone = await product();
      await add(gone.id, 1);
      await shop.platform.broker.call("products.remove", { id: gone.id });
      expect((await setQuantity(gone.id, 2)).status).toBe(404);
      expect((await setQuantity(gone.id, 0)).body).toEqual(EMPTY);
    });

    it.each([
      ["negative", -1],
      ["over 999", 1000],
      ["fractional", 0.5],
      ["a string", "3"],
      ["missing", undefined],
    ])("answers 422 naming `quantity` when it is %s", async (_case, quantity) => {
      const mug = await product();
      await add(mug.id, 1);
      const res = await setQuantity(mug.id, quantity);
      expect(res.status).toBe(422);
      expect(res.body.data.map((d: { field: string }) => d.field)).toEqual(["quantity"]);
    });

    it("acts on the product of the path, whatever productId the body names", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 1);
      await add(b.id, 1);
      await shop.http.patch(`/cart/items/${a.id}`, { productId: b.id, quantity: 3 }, alice);
      const quantities = Object.fromEntries((await cartOf(alice)).items.map((i) => [i.productId, i.quantity]));
      expect(quantities).toEqual({ [a.id]: 3, [b.id]: 1 });
    });
  });

  describe("DELETE /cart/items/:productId and DELETE /cart", () => {
    it("removes one line and keeps the others", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 1);
      await add(b.id, 2);
      const res = await shop.http.delete<CartView>(`/cart/items/${a.id}`, undefined, alice);
      expect(res.status).toBe(200);
      expect(res.body.items.map((i) => i.productId)).toEqual([b.id]);
    });

    it("answers the cart unchanged for a line that is not there (idempotent)", async () => {
      const a = await product();
      await add(a.id, 1);
      const res = await shop.http.delete<CartView>("/cart/items/not-in-cart", undefined, alice);
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(1);
    });

    it("empties the cart", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 1);
      await add(b.id, 1);
      const res = await shop.http.delete<CartView>("/cart", undefined, alice);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(EMPTY);
      expect(await cartOf(alice)).toEqual(EMPTY);
    });
  });

  describe("time to live", () => {
    it("gives the cart CART_TTL on the first write and renews it on every later one", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 1);
      const full = async () => expect(await fx.secondsToLive(store, ALICE.id)).toBeGreaterThanOrEqual(TEST_TTL_SEC - 1);
      await full();
      const writes = [
        () => add(b.id, 1),
        () => setQuantity(a.id, 2),
        () => shop.http.delete(`/cart/items/${b.id}`, undefined, alice),
      ];
      for (const write of writes) {
        await fx.age(store, ALICE.id, 24 * 3600);
        expect(await fx.secondsToLive(store, ALICE.id)).toBeLessThanOrEqual(TEST_TTL_SEC - 24 * 3600);
        expect((await write()).status).toBeLessThan(300);
        await full();
      }
    });

    it("shows an empty cart once the cart expired", async () => {
      const a = await product();
      await add(a.id, 1);
      await fx.age(store, ALICE.id, TEST_TTL_SEC + 1);
      expect(await cartOf(alice)).toEqual(EMPTY);
    });
  });

  describe("one cart per user", () => {
    it("keeps each user's lines apart", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 2, alice);
      await add(b.id, 5, bob);
      expect((await cartOf(alice)).items.map((i) => [i.productId, i.quantity])).toEqual([[a.id, 2]]);
      expect((await cartOf(bob)).items.map((i) => [i.productId, i.quantity])).toEqual([[b.id, 5]]);
    });

    it("never lets one user change another's cart", async () => {
      const a = await product();
      await add(a.id, 2, alice);
      expect((await setQuantity(a.id, 9, bob)).status).toBe(404);
      expect((await shop.http.delete(`/cart/items/${a.id}`, undefined, bob)).status).toBe(200);
      expect((await shop.http.delete("/cart", undefined, bob)).status).toBe(200);
      expect((await cartOf(alice)).items).toEqual([expect.objectContaining({ productId: a.id, quantity: 2 })]);
    });

    it("ignores a userId sent by the client", async () => {
      const a = await product();
      await shop.http.post("/cart/items", { productId: a.id, quantity: 1, userId: BOB.id }, alice);
      const asBob = await shop.http.get<CartView>(`/cart?userId=${ALICE.id}`, bob);
      expect(asBob.body).toEqual(EMPTY);
      expect((await cartOf(alice)).items).toHaveLength(1);
    });
  });

  describe("internal actions for the checkout saga", () => {
    it("cart.contentsOf answers a user's raw lines, and cart.clearFor empties that cart only", async () => {
      const [a, b] = await Promise.all([product(), product()]);
      await add(a.id, 2, alice);
      await add(b.id, 1, alice);
      await add(a.id, 4, bob);
      const broker = shop.platform.broker;
      expect(await broker.call("cart.contentsOf", { userId: ALICE.id })).toEqual(
        [
          { productId: a.id, quantity: 2 },
          { productId: b.id, quantity: 1 },
        ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
      );
      expect(await broker.call("cart.clearFor", { userId: ALICE.id })).toEqual({ removedLines: 2 });
      expect(await broker.call("cart.clearFor", { userId: ALICE.id })).toEqual({ removedLines: 0 });
      expect(await broker.call("cart.contentsOf", { userId: ALICE.id })).toEqual([]);
      expect(await broker.call("cart.contentsOf", { userId: BOB.id })).toEqual([{ productId: a.id, quantity: 4 }]);
    });

    it("requires a userId", async () => {
      await expect(shop.platform.broker.call("cart.contentsOf", {})).rejects.toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
      await expect(shop.platform.broker.call("cart.clearFor", { userId: "" })).rejects.toMatchObject({ code: 422 });
    });

    it("are not reachable over REST", async () => {
      for (const path of ["/cart/contentsOf?userId=user-alice", "/cart/clearFor", "/cart/contents-of"]) {
        expect((await shop.http.get(path, alice)).status).toBe(404);
        expect((await shop.http.post(path, { userId: ALICE.id }, alice)).status).toBe(404);
      }
    });
  });
});
