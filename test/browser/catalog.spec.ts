/**
 * Browsing: the catalog as a visitor sees it, searched, filtered, sorted and
 * paged, checked against what the API answers for the same query.
 */
import { expect, expectAccessible, test } from "./fixtures";

test("the home page shows the catalog with prices as money and each product's stock", async ({ page, shop }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "All products" })).toBeVisible();

  const webcam = page.getByRole("article").filter({ hasText: "Lumen 4K Webcam" });
  await expect(webcam.getByText("$89.99")).toBeVisible();
  await expect(webcam.getByText("Only 3 left")).toBeVisible();

  const { body } = await shop.json<{ total: number }>("GET", "/api/products");
  await expect(page.getByRole("status").filter({ hasText: "products" })).toHaveText(`${body.total} products`);
  await expectAccessible(page);
});

test("a sold-out product cannot be added to the cart", async ({ page }) => {
  await page.goto("/?q=Orbit%20Smart%20Plug");
  const plug = page.getByRole("article").filter({ hasText: "Orbit Smart Plug" });
  await expect(plug.getByText("Out of stock")).toBeVisible();
  await expect(plug.getByRole("button", { name: "Add to cart" })).toBeDisabled();
});

test("search finds products by name, as the API does", async ({ page, shop }) => {
  await page.goto("/");
  await page.getByRole("searchbox", { name: "Search products" }).fill("headphones");
  await page.getByRole("searchbox", { name: "Search products" }).press("Enter");

  await expect(page.getByRole("heading", { name: "Results for “headphones”" })).toBeVisible();
  const { body } = await shop.json<{ rows: { name: string }[] }>("GET", "/api/products?q=headphones");
  await expect(page.getByRole("article").getByRole("heading")).toHaveText(body.rows.map((p) => p.name));
  await expect(page).toHaveURL(/\?q=headphones$/);
});

test("a category, a price range and a sort narrow and order the list", async ({ page, shop }) => {
  await page.goto("/");
  await page.getByRole("navigation", { name: "Categories" }).getByRole("link", { name: /^Kitchen/ }).click();
  await expect(page.getByRole("heading", { name: "Kitchen" })).toBeVisible();

  await page.getByLabel("From").fill("20");
  await page.getByLabel("To", { exact: true }).fill("50");
  await page.getByRole("button", { name: "Apply price" }).click();
  await page.getByLabel("Sort by").selectOption("price");

  const { body } = await shop.json<{ rows: { name: string }[] }>("GET", "/api/products?category=kitchen&minPrice=2000&maxPrice=5000&sort=price");
  expect(body.rows.length).toBeGreaterThan(1);
  await expect(page.getByRole("article").getByRole("heading")).toHaveText(body.rows.map((p) => p.name));
  await expectAccessible(page);
});

test("the catalog pages forward and back", async ({ page, shop }) => {
  const { body } = await shop.json<{ totalPages: number; rows: { name: string }[] }>("GET", "/api/products?page=2&pageSize=12");
  expect(body.totalPages).toBeGreaterThan(1);

  await page.goto("/");
  await page.getByRole("link", { name: "Next page" }).click();
  await expect(page.getByText(`Page 2 of ${body.totalPages}`)).toBeVisible();
  await expect(page.getByRole("article").getByRole("heading")).toHaveText(body.rows.map((p) => p.name));

  await page.goBack();
  await expect(page.getByText(`Page 1 of ${body.totalPages}`)).toBeVisible();
});

test("a product page shows the description, and the quantity chosen goes to the cart", async ({ page }) => {
  await page.goto("/?q=Chef");
  await page.getByRole("link", { name: "Chef's Knife 20 cm" }).click();

  await expect(page.getByRole("heading", { name: "Chef's Knife 20 cm" })).toBeVisible();
  await expect(page.getByText("Forged high-carbon stainless steel blade")).toBeVisible();
  await expect(page.getByText("$69.99")).toBeVisible();
  await expectAccessible(page);

  await page.getByLabel("Quantity").fill("2");
  await page.getByRole("button", { name: "Add to cart", exact: true }).click();
  await expect(page.getByRole("link", { name: "Cart 2 items" })).toBeVisible();

  await page.getByRole("link", { name: /^Cart/ }).click();
  await expect(page.getByRole("heading", { name: "Your cart" })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Chef's Knife 20 cm" }).getByText("$139.98")).toBeVisible();
  await expectAccessible(page);
});

test("an address of the page that does not exist says so", async ({ page }) => {
  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("a quantity being typed in the cart is kept when the recommendations arrive meanwhile, and is what gets sent", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Index Cards ${Date.now()}`, price: 300, stock: 20 });
  await shop.addToCart(shopper.token, product.id, 1);
  // The recommendations are held back until the shopper has typed.
  let release: () => void = () => undefined;
  const typed = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/api/cart/recommendations**", async (route) => {
    await typed;
    await route.continue();
  });
  await page.goto("/");
  await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
  await page.goto("/cart");
  await expect(page.getByRole("link", { name: "Cart 1 item" })).toBeVisible();

  const quantity = page.getByLabel(`Quantity of ${product.name}`);
  await quantity.fill("4");
  const recommendations = page.waitForResponse("**/api/cart/recommendations**");
  release();
  await recommendations;
  // The page re-renders with the recommendations: the field still holds what was typed.
  await expect(quantity).toHaveValue("4");
  await quantity.press("Enter");
  await expect(page.getByRole("link", { name: "Cart 4 items" })).toBeVisible();
  expect((await shop.cart(shopper.token)).items).toEqual([expect.objectContaining({ productId: product.id, quantity: 4 })]);
});
