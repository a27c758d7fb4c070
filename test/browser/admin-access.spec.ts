/** The console is for admins: the page says so, and the gateway refuses a customer's token on every admin route. */
import { expect, expectAccessible, test } from "./fixtures";

test("signed out, the console asks to sign in", async ({ page }) => {
  await page.goto("/admin/orders");
  await expect(page.getByRole("link", { name: "Sign in to the console" })).toHaveAttribute("href", "/signin?next=%2Fadmin%2Forders");
  await expectAccessible(page);
});

test("a customer sees the 403 message, and every admin route answers their token 403", async ({ page, shop }) => {
  const shopper = await shop.register();
  await page.goto("/signin?next=/admin/cluster");
  await page.getByLabel("Email").fill(shopper.email);
  await page.getByLabel("Password").fill(shopper.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "403: for administrators" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await expectAccessible(page);

  const someone = (await shop.json<{ id: string }>("GET", "/api/users/me", shopper.token)).body.id;
  const calls: [method: "GET" | "POST" | "PATCH" | "DELETE", url: string, body?: unknown][] = [
    ["GET", "/api/admin/cluster"],
    ["GET", "/api/admin/events"],
    ["GET", "/api/admin/dead-letters"],
    ["POST", "/api/admin/dead-letters/replay", { service: "notifications" }],
    ["GET", "/api/admin/orders"],
    ["POST", "/api/admin/orders/some-order/ship"],
    ["GET", "/api/admin/shipments/some-order"],
    ["POST", "/api/admin/shipments/some-order/advance"],
    ["POST", "/api/products", { sku: "X-1", name: "X", description: "x", category: "x", price: 1, weightGrams: 1 }],
    ["PATCH", "/api/products/some-product", { name: "Y" }],
    ["DELETE", "/api/products/some-product"],
    ["POST", "/api/products/some-product/stock", { delta: 1, reason: "test" }],
    ["GET", "/api/users"],
    ["POST", `/api/users/${someone}/disable`],
    ["POST", `/api/users/${someone}/enable`],
  ];
  for (const [method, url, body] of calls) {
    const { status } = await shop.json(method, url, shopper.token, body);
    expect(status, `${method} ${url}`).toBe(403);
  }
});
