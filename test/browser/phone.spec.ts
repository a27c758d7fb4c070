/**
 * A 390 px wide phone: the whole purchase, with no page wider than the screen.
 */
import { CARD_OK, expect, expectAccessible, expectNoHorizontalScroll, fillCheckout, test } from "./fixtures";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });

test("a shopper buys on a phone and sees the order paid, and no page scrolls sideways", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Pocket Notebook Trio ${Date.now()}`, price: 1299, stock: 8 });

  await page.goto("/");
  await expect(page.getByRole("heading", { name: "All products" })).toBeVisible();
  await expectNoHorizontalScroll(page);
  await expectAccessible(page);

  await page.goto(`/products/${product.id}`);
  await expectNoHorizontalScroll(page);
  await page.getByRole("button", { name: "Add to cart", exact: true }).tap();
  await page.getByRole("link", { name: /^Cart/ }).tap();
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  await expectNoHorizontalScroll(page);

  await page.getByRole("button", { name: "Checkout" }).tap();
  await page.getByLabel("Email").fill(shopper.email);
  await page.getByLabel("Password").fill(shopper.password);
  await page.getByRole("button", { name: "Sign in" }).tap();
  await expect(page.getByLabel("Card number")).toBeVisible();
  await expectNoHorizontalScroll(page);
  await fillCheckout(page, CARD_OK);
  await expectAccessible(page);
  await page.getByRole("button", { name: "Place order" }).tap();

  await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
  await expectNoHorizontalScroll(page);
  const { rows } = await shop.orders(shopper.token);
  expect(rows.map((o) => [o.status, o.total])).toEqual([["paid", 1299 + 499]]);

  await page.getByRole("link", { name: "Orders", exact: true }).tap();
  await expect(page.getByRole("heading", { name: "Your orders" })).toBeVisible();
  await expectNoHorizontalScroll(page);
});

test("the cart page changes quantities and removes lines on a phone", async ({ page, shop }) => {
  const shopper = await shop.register();
  const first = await shop.createProduct({ name: `Field Pencils ${Date.now()}`, price: 450, stock: 20 });
  const second = await shop.createProduct({ name: `Graph Pads ${Date.now()}`, price: 725, stock: 20 });
  await shop.addToCart(shopper.token, first.id, 1);
  await shop.addToCart(shopper.token, second.id, 1);
  await page.goto("/");
  await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);

  await page.goto("/cart");
  // The signed-in cart is read once the page knows the token: change it only after that read, or it overwrites the field.
  await expect(page.getByRole("link", { name: "Cart 2 items" })).toBeVisible();
  await page.getByLabel(`Quantity of ${first.name}`).fill("3");
  await page.getByLabel(`Quantity of ${first.name}`).press("Enter");
  await expect(page.getByRole("link", { name: "Cart 4 items" })).toBeVisible();
  await expect(page.getByRole("definition").first()).toHaveText("$20.75");

  await page.getByRole("button", { name: `Remove ${second.name}` }).tap();
  await expect(page.getByRole("link", { name: "Cart 3 items" })).toBeVisible();
  await expectNoHorizontalScroll(page);
  await expectAccessible(page);
  expect((await shop.cart(shopper.token)).items).toEqual([expect.objectContaining({ productId: first.id, quantity: 3 })]);
});
