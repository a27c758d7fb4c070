/**
 * The Idempotency-Key of POST /api/orders, and checkouts racing for stock,
 * through the gateway with the real services (NeDB: the unique index on the
 * key's scope is enforced, so concurrency is real here).
 */
import { checkoutBody, failedOrderId, newKey, payment, startOrdersPlatform, TEST_CARDS, type OrdersPlatform, type PublicOrder, type Shopper } from "./orders-platform";

let shop: OrdersPlatform;

beforeAll(async () => {
  shop = await startOrdersPlatform();
});

afterAll(async () => {
  await shop?.stop();
});

async function shopperWithCart(stock = 10, quantity = 1): Promise<{ shopper: Shopper; productId: string }> {
  const { shopper, product } = await shop.shopperWithCart(stock, quantity);
  return { shopper, productId: product.id };
}

const orderCount = async (shopper: Shopper) => (await shop.http.get<{ total: number }>("/orders", { token: shopper.token })).body.total;

describe("the same key sent again", () => {
  it("answers the same order, charged once, without running the checkout again", async () => {
    const { shopper, productId } = await shopperWithCart(10, 2);
    const key = newKey();
    const first = await shop.checkout(shopper, checkoutBody(), key);
    expect(first.status).toBe(201);
    // The cart is empty now: only a replay can answer 201.
    const again = await shop.checkout(shopper, checkoutBody(), key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await shop.transactions(first.body.id)).toHaveLength(1);
    expect(await shop.levels(productId)).toEqual({ stock: 8, reserved: 0 });
    expect(await orderCount(shopper)).toBe(1);
  });

  it("answers the same refusal for a declined card", async () => {
    const { shopper } = await shopperWithCart();
    const key = newKey();
    const body = checkoutBody({ payment: payment(TEST_CARDS.declined) });
    const first = await shop.checkout(shopper, body, key);
    const again = await shop.checkout(shopper, body, key);
    expect(first.status).toBe(402);
    expect(again.status).toBe(402);
    expect(again.body).toEqual(first.body);
    expect(await orderCount(shopper)).toBe(1);
  });

  it("with another body is 409 IDEMPOTENCY_KEY_REUSED", async () => {
    const { shopper } = await shopperWithCart();
    const key = newKey();
    expect((await shop.checkout(shopper, checkoutBody(), key)).status).toBe(201);
    const otherMethod = await shop.checkout(shopper, checkoutBody({ shippingMethod: "express" }), key);
    expect(otherMethod.status).toBe(409);
    expect(otherMethod.body).toMatchObject({ type: "IDEMPOTENCY_KEY_REUSED", data: { field: "Idempotency-Key" } });
    const otherCard = await shop.checkout(shopper, checkoutBody({ payment: payment("5555555555554444") }), key);
    expect(otherCard.body).toMatchObject({ type: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("by another user is that user's own key", async () => {
    const a = await shopperWithCart();
    const b = await shopperWithCart();
    const key = newKey();
    const first = await shop.checkout(a.shopper, checkoutBody(), key);
    const second = await shop.checkout(b.shopper, checkoutBody(), key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
  });

  it("ten times at once makes one order and one charge, and all ten get it", async () => {
    const { shopper, productId } = await shopperWithCart(10, 3);
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 10 }, () => shop.checkout(shopper, checkoutBody(), key)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [orderId] = ids;
    expect((await shop.transactions(orderId)).map((tx) => tx.status)).toEqual(["captured"]);
    expect(await shop.levels(productId)).toEqual({ stock: 7, reserved: 0 });
    expect(await orderCount(shopper)).toBe(1);
  });
});

describe("checkouts racing for the last units", () => {
  it("20 shoppers after the last 5 units: exactly 5 paid orders, 15 out of stock, stock 0, nothing held", async () => {
    const product = await shop.createProduct({ stock: 20 });
    const shoppers = await Promise.all(Array.from({ length: 20 }, () => shop.shopper()));
    for (const shopper of shoppers) await shop.addToCart(shopper, product.id, 1);
    // Only 5 left when they check out.
    await shop.broker.call("products.adjustStock", { id: product.id, set: 5 });

    const answers = await Promise.all(shoppers.map((shopper) => shop.checkout(shopper)));
    const paid = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(paid).toHaveLength(5);
    expect(paid.every((a) => a.body.status === "paid")).toBe(true);
    expect(refused.map((a) => a.status)).toEqual(Array(15).fill(409));
    expect(refused.every((a) => (a.body as unknown as { type: string }).type === "OUT_OF_STOCK")).toBe(true);
    expect(await shop.levels(product.id)).toEqual({ stock: 0, reserved: 0 });

    // Only the paid orders were charged.
    for (const answer of paid) expect((await shop.transactions(answer.body.id)).map((tx) => tx.status)).toEqual(["captured"]);
    for (const answer of refused) {
      const orderId = failedOrderId(answer);
      expect(await shop.transactions(orderId)).toEqual([]);
    }
    const admin = await shop.adminToken();
    const all = await shop.http.get<{ rows: PublicOrder[] }>("/admin/orders?status=paid&pageSize=100", { token: admin });
    expect(all.body.rows.filter((o) => o.items[0].productId === product.id)).toHaveLength(5);
  });
});
