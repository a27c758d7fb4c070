/**
 * The pictures of docs/screenshots (README, "The storefront"): `npm run
 * screenshots` after `npm run build`. Not part of `npm test`.
 */
import path from "node:path";
import { CARD_OK, expect, fillCheckout, test } from "./fixtures";

const OUT = path.resolve(__dirname, "../../docs/screenshots");

const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

for (const [size, viewport] of Object.entries(SIZES)) {
  test.describe(size, () => {
    test.use({ viewport, deviceScaleFactor: 1, isMobile: size === "phone" });

    test(`the main pages on a ${size}`, async ({ page, shop }) => {
      const shot = (name: string) => page.screenshot({ path: path.join(OUT, `${name}-${size}.png`), fullPage: true });
      const shopper = await shop.register();

      await page.goto("/");
      await expect(page.getByRole("article").first()).toBeVisible();
      await shot("catalog");

      await page.goto("/?q=steel");
      await expect(page.getByRole("article").first()).toBeVisible();
      // A phone shows the filters folded: open them to show the facets.
      if (size === "phone") await page.getByText("Filters", { exact: true }).click();
      await expect(page.getByRole("navigation", { name: "Price ranges" })).toBeVisible();
      await shot("search");

      await page.goto("/");
      await page.getByRole("link", { name: "Aurora Wireless Headphones" }).click();
      await expect(page.getByText("Over-ear Bluetooth")).toBeVisible();
      await expect(page.getByRole("region", { name: "Customers also bought" })).toBeVisible();
      await page.getByRole("button", { name: "Add to cart", exact: true }).click();
      await expect(page.getByRole("link", { name: "Cart 1 item" })).toBeVisible();
      await shot("product");

      await page.goto("/?q=Chef");
      await page.getByRole("article").getByRole("button", { name: "Add to cart" }).click();
      await expect(page.getByRole("link", { name: "Cart 2 items" })).toBeVisible();
      await page.getByRole("link", { name: /^Cart/ }).click();
      await expect(page.getByText("Standard ·")).toBeVisible();
      await shot("cart");

      await page.getByLabel("Show prices in").selectOption("EUR");
      await expect(page.getByText("charged", { exact: false })).toBeVisible();
      await shot("cart-eur");
      await page.getByLabel("Show prices in").selectOption("USD");

      await page.getByRole("button", { name: "Checkout" }).click();
      await page.getByLabel("Email").fill(shopper.email);
      await page.getByLabel("Password").fill(shopper.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await fillCheckout(page, CARD_OK);
      await shot("checkout");

      await page.getByRole("button", { name: "Place order" }).click();
      await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();
      await shot("confirmation");

      await page.getByRole("link", { name: "Orders", exact: true }).click();
      await expect(page.getByRole("heading", { name: "Your orders" })).toBeVisible();
      await shot("orders");
    });
  });
}
