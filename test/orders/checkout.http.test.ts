/**
 * POST /api/orders through the gateway, with the real users, products,
 * cart, payments, shipping and orders services: every checkout outcome of
 * docs/api.md, and what each leaves behind in stock, payments and the cart.
 */
import type { ServiceSchema } from "moleculer";
import { waitUntil } from "../support/wait-until";
import { paymentsService } from "../payments/payments-platform";
import { ADDRESS, checkoutBody, failedOrderId, newKey, payment, startOrdersPlatform, TEST_CARDS, type OrdersPlatform, type PublicOrder } from "./orders-platform";

let shop: OrdersPlatform;

beforeAll(async () => {
  shop = await startOrdersPlatform();
});

afterAll(async () => {
  await shop?.stop();
});

const shopperWithCart = (stock?: number, quantity?: number) => shop.shopperWithCart(stock, quantity);

const fields = (body: unknown) => ((body as { data: { field: string }[] }).data ?? []).map((d) => d.field);

describe("a successful checkout", () => {
  it("answers 201 with the paid order priced by the catalog, commits the stock, captures the payment and empties the cart", async () => {
    const { shopper, product } = await shopperWithCart(10, 2);
    const res = await shop.checkout(shopper, { ...checkoutBody(), unitPrice: 1, total: 1 });

    expect(res.status).toBe(201);
    const order = res.body;
    expect(res.headers.get("location")).toBe(`/api/orders/${order.id}`);
    expect(order).toMatchObject({
      userId: shopper.userId,
      status: "paid",
      items: [{ productId: product.id, sku: product.sku, unitPrice: 1999, quantity: 2, lineTotal: 3998 }],
      subtotal: 3998,
      currency: "USD",
      shippingAddress: ADDRESS,
      shippingMethod: "standard",
      payment: { status: "captured", brand: "visa", last4: "4242" },
    });
    expect(order.total).toBe(order.subtotal + order.shippingCost);
    expect(order.shippingCost).toBeGreaterThan(0);
    expect(order.history.map((h) => h.status)).toEqual(["pending", "paid"]);
    expect(JSON.stringify(order)).not.toContain("saga");

    expect(await shop.levels(product.id)).toEqual({ stock: 8, reserved: 0 });
    const [tx] = await shop.transactions(order.id);
    expect(tx).toMatchObject({ id: order.payment.transactionId, status: "captured", amount: order.total, captured: order.total });
    expect(await shop.cartLines(shopper)).toEqual([]);
  });

  it("announces order.paid with the order and no card data", async () => {
    const { shopper } = await shopperWithCart();
    const res = await shop.checkout(shopper);
    expect(res.status).toBe(201);
    const paid = () => shop.events.find((e) => e.event === "order.paid" && e.payload.orderId === res.body.id);
    // The outbox publishes after the answer: the event comes a moment later.
    await waitUntil(() => paid() !== undefined, { description: `order.paid for ${res.body.id}`, timeoutMs: 3000 });
    const seen = paid();
    expect(seen?.payload).toMatchObject({ userId: shopper.userId, status: "paid", order: { id: res.body.id, status: "paid" } });
    expect(JSON.stringify(seen)).not.toContain("4242424242424242");
  });

  it("ships to the saved address when the body has none, by express when asked", async () => {
    const { shopper } = await shopperWithCart();
    const saved = { line1: "9 Elm Rd", city: "Berlin", postalCode: "10115", country: "DE" };
    expect((await shop.http.patch("/users/me", { address: saved }, { token: shopper.token })).status).toBe(200);
    const res = await shop.checkout(shopper, { payment: payment(), shippingMethod: "express" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ shippingAddress: saved, shippingMethod: "express" });
  });

  it("lists the order for its owner, newest first", async () => {
    const { shopper, product } = await shopperWithCart(10, 1);
    const first = await shop.checkout(shopper);
    await shop.addToCart(shopper, product.id, 1);
    const second = await shop.checkout(shopper);
    const list = await shop.http.get<{ rows: PublicOrder[]; total: number; page: number; pageSize: number; totalPages: number }>("/orders", { token: shopper.token });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 2, page: 1, pageSize: 20, totalPages: 1 });
    expect(list.body.rows.map((o) => o.id)).toEqual([second.body.id, first.body.id]);
    const paged = await shop.http.get<{ rows: PublicOrder[] }>("/orders?page=2&pageSize=1", { token: shopper.token });
    expect(paged.body.rows.map((o) => o.id)).toEqual([first.body.id]);
    expect((await shop.http.get(`/orders/${first.body.id}`, { token: shopper.token })).body).toMatchObject({ id: first.body.id, status: "paid" });
  });
});

describe("a refused checkout", () => {
  it("is 409 OUT_OF_STOCK naming the product: nothing stays reserved, nothing is charged, the cart is kept", async () => {
    const { shopper, product } = await shopperWithCart(3, 3);
    // Someone else bought one meanwhile.
    await shop.broker.call("products.adjustStock", { id: product.id, delta: -1 });
    const res = await shop.checkout(shopper);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: "OUT_OF_STOCK", data: { productId: product.id, sku: product.sku, requested: 3, available: 2 } });
    const orderId = failedOrderId(res);
    expect(await shop.levels(product.id)).toEqual({ stock: 2, reserved: 0 });
    expect(await shop.transactions(orderId)).toEqual([]);
    expect(await shop.cartLines(shopper)).toEqual([{ productId: product.id, quantity: 3 }]);
    const order = await shop.http.get<PublicOrder>(`/orders/${orderId}`, { token: shopper.token });
    expect(order.body).toMatchObject({ status: "failed", failureReason: expect.stringContaining("Not enough stock") });
    expect(order.body.history.map((h) => h.status)).toEqual(["pending", "failed"]);
    await waitUntil(() => shop.events.some((e) => e.event === "order.failed" && e.payload.orderId === orderId), { description: `order.failed for ${orderId}`, timeoutMs: 3000 });
  });

  it.each([
    ["card_declined", TEST_CARDS.declined],
    ["insufficient_funds", TEST_CARDS.insufficientFunds],
  ])("is 402 PAYMENT_DECLINED (%s): stock given back, cart kept, nothing charged", async (reason, card) => {
    const { shopper, product } = await shopperWithCart(10, 2);
    const res = await shop.checkout(shopper, checkoutBody({ payment: payment(card) }));
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({ type: "PAYMENT_DECLINED", data: { reason } });
    const orderId = failedOrderId(res);
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await shop.cartLines(shopper)).toEqual([{ productId: product.id, quantity: 2 }]);
    expect((await shop.transactions(orderId)).map((tx) => tx.status)).toEqual(["declined"]);
    const order = await shop.http.get<PublicOrder>(`/orders/${orderId}`, { token: shopper.token });
    expect(order.body).toMatchObject({ status: "failed", payment: { status: "declined" } });
  });

  it("is 422 EMPTY_CART for an empty cart, and keeps nothing under the key", async () => {
    const shopper = await shop.shopper();
    const key = newKey();
    const res = await shop.checkout(shopper, checkoutBody(), key);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: "EMPTY_CART" });
    expect(fields(res.body)).toEqual(["cart"]);
    expect((await shop.http.get<{ total: number }>("/orders", { token: shopper.token })).body.total).toBe(0);

    // The key is free again: the same request after filling the cart goes through.
    const product = await shop.createProduct({ stock: 5 });
    await shop.addToCart(shopper, product.id, 1);
    expect((await shop.checkout(shopper, checkoutBody(), key)).status).toBe(201);
  });

  it("is 422 for a card number that fails the Luhn check, naming the field and never echoing the number", async () => {
    const { shopper, product } = await shopperWithCart();
    const res = await shop.checkout(shopper, checkoutBody({ payment: payment("4242424242424241") }));
    expect(res.status).toBe(422);
    expect(fields(res.body)).toEqual(["payment.cardNumber"]);
    expect(res.text).not.toContain("4242424242424241");
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect((await shop.http.get<{ total: number }>("/orders", { token: shopper.token })).body.total).toBe(0);
  });

  it("is 422 for bad card fields: expired, wrong CVC length, missing payment", async () => {
    const { shopper } = await shopperWithCart();
    const expired = await shop.checkout(shopper, checkoutBody({ payment: payment(undefined, { expYear: 2020, cvc: "12345" }) }));
    expect(expired.status).toBe(422);
    expect(fields(expired.body)).toEqual(expect.arrayContaining(["payment.cvc"]));
    expect(expired.text).not.toContain("12345");
    const wrongCvc = await shop.checkout(shopper, checkoutBody({ payment: payment(undefined, { cvc: "1234" }) }));
    expect(fields(wrongCvc.body)).toEqual(["payment.cvc"]);
    const past = await shop.checkout(shopper, checkoutBody({ payment: payment(undefined, { expYear: 2021 }) }));
    expect(fields(past.body)).toEqual(["payment.expMonth", "payment.expYear"]);
    const none = await shop.checkout(shopper, { shippingAddress: ADDRESS });
    expect(none.status).toBe(422);
    expect(fields(none.body)).toEqual(["payment"]);
  });

  it("is 422 naming shippingAddress when neither the body nor the profile has one", async () => {
    const { shopper } = await shopperWithCart();
    const res = await shop.checkout(shopper, { payment: payment() });
    expect(res.status).toBe(422);
    expect(fields(res.body)).toEqual(["shippingAddress"]);
  });

  it("is 422 naming Idempotency-Key when the header is missing", async () => {
    const { shopper } = await shopperWithCart();
    const res = await shop.checkout(shopper, checkoutBody(), null);
    expect(res.status).toBe(422);
    expect(fields(res.body)).toEqual(["Idempotency-Key"]);
  });

  it("is 401 without a token", async () => {
    const res = await shop.http.post("/orders", checkoutBody(), { headers: { "Idempotency-Key": newKey() } });
    expect(res.status).toBe(401);
  });

  it("is 409 PRODUCT_UNAVAILABLE naming a product that is no longer sold", async () => {
    const { shopper, product } = await shopperWithCart();
    await shop.broker.call("products.remove", { id: product.id });
    const res = await shop.checkout(shopper);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: "PRODUCT_UNAVAILABLE", data: { products: [{ productId: product.id, reason: "archived" }] } });
  });
});

describe("a checkout while payments are down", () => {
  it("is 503 when the processor keeps failing: the stock is given back, the cart kept, nothing charged", async () => {
    const { shopper, product } = await shopperWithCart(10, 2);
    const res = await shop.checkout(shopper, checkoutBody({ payment: payment(TEST_CARDS.gatewayError) }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    const orderId = failedOrderId(res);
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await shop.cartLines(shopper)).toEqual([{ productId: product.id, quantity: 2 }]);
    expect((await shop.transactions(orderId)).every((tx) => tx.status === "failed")).toBe(true);
  });

  it("is 503 naming payments when the service has no node: reservations released, cart kept", async () => {
    const { shopper, product } = await shopperWithCart(10, 2);
    const payments = shop.broker.getLocalService("payments");
    await shop.broker.destroyService(payments as NonNullable<typeof payments>);
    const key = newKey();
    let res;
    try {
      res = await shop.checkout(shopper, checkoutBody(), key);
    } finally {
      await shop.broker.createService(paymentsService() as ServiceSchema);
      await shop.broker.waitForServices(["payments"]);
    }
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ type: "SERVICE_UNAVAILABLE", data: { service: "payments" } });
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await shop.cartLines(shopper)).toEqual([{ productId: product.id, quantity: 2 }]);

    // A 503 is not kept under the key: the same request runs again once payments is back (a new order).
    const again = await shop.checkout(shopper, checkoutBody(), key);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(failedOrderId(res));
  });
});
