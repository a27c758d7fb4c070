/**
 * Buying: from the catalog to a paid order, and every way a checkout can go
 * wrong that a shopper can cause. Outcomes are read back through the API.
 */
import { ADDRESS, CARD_DECLINED, CARD_OK, expect, expectAccessible, fillCheckout, test } from "./fixtures";

test("a visitor signs up during checkout and pays with the test card", async ({ page, shop }) => {
  const product = await shop.createProduct({ name: `Walnut Desk Tidy ${Date.now()}`, price: 2499, stock: 10 });
  await page.goto(`/products/${product.id}`);
  await page.getByRole("button", { name: "Add to cart", exact: true }).click();
  await expect(page.getByRole("link", { name: "Cart 1 item" })).toBeVisible();

  await page.getByRole("link", { name: /^Cart/ }).click();
  await page.getByRole("button", { name: "Checkout" }).click();
  await expect(page.getByRole("heading", { name: "Checkout" })).toBeVisible();

  await page.getByRole("button", { name: "I am new here" }).click();
  const email = `new-${Date.now()}@example.com`;
  await page.getByLabel("Name").fill("Grace Shopper");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct-horse-battery");
  await page.getByRole("button", { name: "Create account" }).click();

  // The guest's line came along into the new account's cart.
  await expect(page.getByRole("listitem").filter({ hasText: product.name })).toContainText("$24.99");
  await fillCheckout(page, CARD_OK);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Place order" }).click();

  await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
  const orderId = (await page.locator(".order-number").textContent())!;
  await expect(page.getByText("Paid", { exact: true }).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Cart 0 items" })).toBeVisible();

  const token = await page.evaluate<string>("localStorage.getItem('shop.token')");
  const { body: order } = await shop.json<{ id: string; status: string; total: number; payment: { status: string; last4: string }; shippingAddress: typeof ADDRESS }>(
    "GET",
    `/api/orders/${orderId}`,
    token,
  );
  expect(order).toMatchObject({ id: orderId, status: "paid", payment: { status: "captured", last4: "4242" }, shippingAddress: ADDRESS });
  expect((await shop.cart(token)).itemCount).toBe(0);
  expect((await shop.product(product.id)).stock).toBe(9);

  // The confirmation reaches the inbox (through durable events, shortly after).
  await expect(async () => {
    await page.goto("/notifications");
    await expect(page.getByRole("heading", { level: 2 }).filter({ hasText: /order/i })).not.toHaveCount(0, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expectAccessible(page);
});

test.describe("a declined card", () => {
  test.use({ expectedApiErrors: [402] });

  test("is named next to the card fields, nothing is charged and the cart stays", async ({ page, shop }) => {
    const shopper = await shop.register();
    const product = await shop.createProduct({ name: `Linen Apron ${Date.now()}`, price: 1850, stock: 5 });
    await shop.addToCart(shopper.token, product.id, 2);
    await page.goto("/");
    await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);

    await page.goto("/checkout");
    await fillCheckout(page, CARD_DECLINED);
    await page.getByRole("button", { name: "Place order" }).click();

    const cardFields = page.getByRole("group", { name: "Card" });
    await expect(cardFields.getByRole("alert")).toHaveText(/Your card was declined\. Nothing was charged/);
    await expectAccessible(page);

    const orders = await shop.orders(shopper.token);
    expect(orders.rows.map((o) => [o.status, o.payment?.status])).toEqual([["failed", "declined"]]);
    expect((await shop.cart(shopper.token)).items).toEqual([expect.objectContaining({ productId: product.id, quantity: 2 })]);
    expect((await shop.product(product.id)).stock).toBe(5);

    // A good card afterwards is a new attempt, and it goes through.
    await page.getByLabel("Card number").fill(CARD_OK);
    await page.getByRole("button", { name: "Place order" }).click();
    await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
    expect((await shop.orders(shopper.token)).rows.map((o) => o.status)).toEqual(["paid", "failed"]);
  });
});

test.describe("stock that runs out during checkout", () => {
  test.use({ expectedApiErrors: [409] });

  test("is named next to the order's lines, and the cart stays for the shopper to change", async ({ page, shop }) => {
    const shopper = await shop.register();
    const product = await shop.createProduct({ name: `Last Ceramic Vase ${Date.now()}`, price: 4200, stock: 2 });
    await shop.addToCart(shopper.token, product.id, 2);
    await page.goto("/");
    await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
    await page.goto("/checkout");
    await fillCheckout(page, CARD_OK);

    // Someone else bought one meanwhile.
    await shop.setStock(product.id, 1);
    await page.getByRole("button", { name: "Place order" }).click();

    const summary = page.getByRole("region", { name: "Your order" });
    await expect(summary.getByRole("alert")).toContainText("Not enough stock");
    await expect(summary.getByRole("alert")).toContainText("Nothing was charged");
    await expectAccessible(page);

    expect((await shop.orders(shopper.token)).rows.map((o) => o.status)).toEqual(["failed"]);
    expect((await shop.cart(shopper.token)).items).toEqual([expect.objectContaining({ productId: product.id, quantity: 2 })]);
    expect((await shop.product(product.id)).stock).toBe(1);
  });
});

test("a double click on Place order makes one order", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Twin Candle Set ${Date.now()}`, price: 1500, stock: 10 });
  await shop.addToCart(shopper.token, product.id, 1);
  await page.goto("/");
  await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
  await page.goto("/checkout");
  await fillCheckout(page, CARD_OK);

  const checkouts: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/orders") checkouts.push(request.headers()["idempotency-key"] ?? "");
  });
  await page.getByRole("button", { name: "Place order" }).dblclick();
  await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();

  const orders = await shop.orders(shopper.token);
  expect(orders.rows.map((o) => o.status)).toEqual(["paid"]);
  expect((await shop.product(product.id)).stock).toBe(9);
  // Whatever reached the API carried one key.
  expect(new Set(checkouts).size).toBe(1);
});

test.describe("a retry after the network failed", () => {
  test.use({ expectedApiErrors: ["network"] });

  test("sends the same Idempotency-Key, so the order the API already took is not made twice", async ({ page, shop }) => {
    const shopper = await shop.register();
    const product = await shop.createProduct({ name: `Wool Throw ${Date.now()}`, price: 5900, stock: 10 });
    await shop.addToCart(shopper.token, product.id, 1);
    await page.goto("/");
    await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
    await page.goto("/checkout");
    await fillCheckout(page, CARD_OK);

    // The first answer is lost on its way back: the API made the order, the page never hears of it.
    const keys: string[] = [];
    await page.route("**/api/orders", async (route) => {
      keys.push(route.request().headers()["idempotency-key"] ?? "");
      const response = await route.fetch();
      if (keys.length === 1) await route.abort("connectionreset");
      else await route.fulfill({ response });
    });
    await page.getByRole("button", { name: "Place order" }).click();
    await expect(page.getByRole("alert")).toContainText("press Place order again");

    await page.getByRole("button", { name: "Place order" }).click();
    await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await shop.orders(shopper.token)).rows.map((o) => o.status)).toEqual(["paid"]);
    expect((await shop.product(product.id)).stock).toBe(9);
  });
});
