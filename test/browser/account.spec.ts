/**
 * The account: signing in and out, order history with its detail, and
 * cancelling an order the API still allows to cancel.
 */
import { expect, expectAccessible, signInThroughPage, test } from "./fixtures";

test("a shopper signs in, stays signed in across a reload, sees the order history and cancels a paid order", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Brass Bookends ${Date.now()}`, price: 3100, stock: 4 });
  await shop.addToCart(shopper.token, product.id, 1);
  const { status, body: placed } = await shop.checkout(shopper.token);
  expect(status).toBe(201);

  await page.goto("/");
  await signInThroughPage(page, shopper);
  await page.reload();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();

  await page.getByRole("link", { name: "Orders", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Your orders" })).toBeVisible();
  const row = page.getByRole("listitem").filter({ hasText: placed.id });
  await expect(row).toContainText("Paid");
  await expectAccessible(page);

  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { name: `Order ${placed.id}` })).toBeVisible();
  await expect(page.getByText("1 × " + product.name)).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("button", { name: "Cancel order" }).click();
  await expect(page.getByText("Status: Cancelled")).toBeVisible();
  await expect(page.getByRole("button", { name: "Cancel order" })).toHaveCount(0);

  const { body: order } = await shop.json<{ status: string }>("GET", `/api/orders/${placed.id}`, shopper.token);
  expect(order.status).toBe("cancelled");
  // The sold unit goes back into stock once the cancellation has run.
  await expect.poll(async () => (await shop.product(product.id)).stock).toBe(4);
});

test.describe("signing in with a wrong password", () => {
  test.use({ expectedApiErrors: [401] });

  test("says so and signs nobody in", async ({ page, shop }) => {
    const shopper = await shop.register();
    await page.goto("/signin");
    await page.getByLabel("Email").fill(shopper.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Invalid email or password");
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
    await expectAccessible(page);
  });
});

test("signing out forgets the token: a reload stays signed out and orders ask to sign in", async ({ page, shop }) => {
  const shopper = await shop.register();
  await page.goto("/");
  await signInThroughPage(page, shopper);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  expect(await page.evaluate<string | null>("localStorage.getItem('shop.token')")).toBeNull();

  await page.goto("/orders");
  await expect(page.getByText("Please sign in to see your orders.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Orders" })).toHaveCount(0);
});

test.describe("a token the API no longer accepts", () => {
  test.use({ expectedApiErrors: [401] });

  test("is dropped: the page shows the visitor signed out", async ({ page }) => {
    await page.goto("/");
    await page.evaluate(() => localStorage.setItem("shop.token", "not-a-valid-token"));
    await page.goto("/orders");
    await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
    expect(await page.evaluate<string | null>("localStorage.getItem('shop.token')")).toBeNull();
  });
});
