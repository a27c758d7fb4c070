/**
 * Finding things (issue 25 in the storefront): ranked search with facets,
 * "Customers also bought" from paid orders, and prices shown in the
 * shopper's currency while checkout charges the base one. Expected values
 * are read from the API the page calls.
 */
import { convert, type CurrencyRate } from "../../contracts/money-display";
import { CARD_OK, expect, expectAccessible, expectNoHorizontalScroll, fillCheckout, test, type ShopApi } from "./fixtures";

interface Listed {
  rows: { id: string; name: string }[];
  facets: { categories: { name: string; count: number }[]; priceBands: { min: number; max: number | null; count: number }[] };
}

interface Currency extends CurrencyRate {
  name: string;
}

/** Money as a shopper reads it: the currency's own minor unit (0 for JPY, 3 for KWD). */
function money(amount: number, currency: { code: string; decimals: number }): string {
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.code, minimumFractionDigits: currency.decimals, maximumFractionDigits: currency.decimals });
  return format.format(amount / 10 ** currency.decimals);
}

const usd = (cents: number) => money(cents, { code: "USD", decimals: 2 });

async function currencies(shop: ShopApi): Promise<Currency[]> {
  return (await shop.json<{ currencies: Currency[] }>("GET", "/api/currencies")).body.currencies;
}

test("a misspelled search finds the product first, by relevance, and its facets count and filter the matches", async ({ page, shop }) => {
  await page.goto("/");
  const searchbox = page.getByRole("searchbox", { name: "Search products" });
  await searchbox.fill("hedphones");
  await searchbox.press("Enter");

  await expect(page.getByRole("heading", { name: "Results for “hedphones”" })).toBeVisible();
  await expect(page.getByRole("article").getByRole("heading").first()).toHaveText("Aurora Wireless Headphones");
  const sortBy = page.getByLabel("Sort by");
  await expect(sortBy).toHaveValue("relevance");
  await expect(sortBy.locator("option:checked")).toHaveText("Relevance");

  await searchbox.fill("steel");
  await searchbox.press("Enter");
  const { body: all } = await shop.json<Listed>("GET", "/api/products?q=steel&facets=true");
  expect(all.facets.categories.length).toBeGreaterThan(1);
  const categories = page.getByRole("navigation", { name: "Categories" });
  for (const c of all.facets.categories) {
    await expect(categories.getByRole("link", { name: `${c.name[0]!.toUpperCase()}${c.name.slice(1)} (${c.count})` })).toBeVisible();
  }
  await expect(page.getByRole("article").getByRole("heading")).toHaveText(all.rows.map((p) => p.name));
  await expectAccessible(page);

  // Choosing a category narrows the matches; the price bands are then counted within it.
  const chosen = all.facets.categories[0]!;
  await categories.getByRole("link", { name: new RegExp(`^${chosen.name}`, "i") }).click();
  await expect(page).toHaveURL(new RegExp(`category=${chosen.name}`));
  const { body: inCategory } = await shop.json<Listed>("GET", `/api/products?q=steel&category=${chosen.name}&facets=true`);
  await expect(page.getByRole("article").getByRole("heading")).toHaveText(inCategory.rows.map((p) => p.name));
  expect(inCategory.rows.length).toBe(chosen.count);

  const band = inCategory.facets.priceBands.find((b) => b.count > 0 && b.max !== null)!;
  // The bands' edges are whole dollars, shown without cents: "$25 to $50".
  const bandName = band.min === 0 ? `Under $${band.max! / 100} (${band.count})` : `$${band.min / 100} to $${band.max! / 100} (${band.count})`;
  await page.getByRole("navigation", { name: "Price ranges" }).getByRole("link", { name: bandName }).click();
  await expect(page.getByRole("navigation", { name: "Price ranges" }).getByRole("link", { name: bandName })).toHaveAttribute("aria-current", "page");
  const { body: inBand } = await shop.json<Listed>("GET", `/api/products?q=steel&category=${chosen.name}&minPrice=${band.min}&maxPrice=${band.max! - 1}`);
  expect(inBand.rows.length).toBe(band.count);
  await expect(page.getByRole("article").getByRole("heading")).toHaveText(inBand.rows.map((p) => p.name));
});

test("after paid orders that buy two products together, each page shows the other under “Customers also bought”", async ({ page, shop }) => {
  const stamp = Date.now();
  const lamp = await shop.createProduct({ name: `Reading Lamp ${stamp}`, price: 3150, stock: 20 });
  const shade = await shop.createProduct({ name: `Linen Lamp Shade ${stamp}`, price: 1875, stock: 20 });
  const buyer = await shop.register();
  await shop.addToCart(buyer.token, lamp.id, 1);
  await shop.addToCart(buyer.token, shade.id, 1);
  expect((await shop.checkout(buyer.token)).status).toBe(201);
  // The co-occurrence arrives with the order.paid event, shortly after the answer.
  await expect
    .poll(async () => (await shop.json<{ id: string; reason: string }[]>("GET", `/api/products/${lamp.id}/recommendations`)).body[0], { timeout: 20_000 })
    .toEqual(expect.objectContaining({ id: shade.id, reason: "bought_together" }));

  await page.goto(`/products/${lamp.id}`);
  const alsoBought = page.getByRole("region", { name: "Customers also bought" });
  const card = alsoBought.getByRole("article").first();
  await expect(card.getByRole("link", { name: shade.name })).toHaveAttribute("href", `/products/${shade.id}`);
  await expect(card.getByText(usd(shade.price))).toBeVisible();
  await expectAccessible(page);
  await card.getByRole("button", { name: `Add to cart: ${shade.name}` }).click();
  await expect(page.getByRole("link", { name: "Cart 1 item" })).toBeVisible();

  // A signed-in shopper with the lamp in the cart sees the shade on the cart page, and adds it from there.
  const shopper = await shop.register();
  await shop.addToCart(shopper.token, lamp.id, 1);
  await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
  await page.goto("/cart");
  const onCart = page.getByRole("region", { name: "Customers also bought" });
  await expect(onCart.getByRole("link", { name: shade.name })).toBeVisible();
  await onCart.getByRole("button", { name: `Add to cart: ${shade.name}` }).click();
  await expect(page.getByRole("list", { name: "Cart lines" }).getByRole("link", { name: shade.name })).toBeVisible();
  await expect(onCart.getByRole("link", { name: shade.name })).toHaveCount(0);
  await expectAccessible(page);
  expect((await shop.cart(shopper.token)).items.map((line) => line.productId).sort()).toEqual([lamp.id, shade.id].sort());
});

test("prices show in the currency chosen in the header, as the API converts them, and the order records the rate shown", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Copper Watering Can ${Date.now()}`, price: 1337, stock: 10 });
  const list = await currencies(shop);
  const euro = list.find((c) => c.code === "EUR")!;

  await page.goto("/");
  await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
  await page.goto(`/products/${product.id}`);
  const picker = page.getByLabel("Show prices in");
  await expect(page.getByText(usd(1337), { exact: true })).toBeVisible();

  // Every supported currency, in its own minor unit, exactly as the API's display amount.
  for (const currency of list) {
    await picker.selectOption(currency.code);
    const { body } = await shop.json<{ display?: { amount: number } }>("GET", `/api/products/${product.id}?currency=${currency.code}`);
    await expect(page.locator(".product-info .price")).toHaveText(money(body.display?.amount ?? product.price, currency));
  }

  await picker.selectOption("EUR");
  await page.reload();
  await expect(picker).toHaveValue("EUR");
  const { body: shown } = await shop.json<{ display: { amount: number } }>("GET", `/api/products/${product.id}?currency=EUR`);
  await expect(page.locator(".product-info .price")).toHaveText(money(shown.display.amount, euro));
  await expect(page.getByText(`Charged in USD: ${usd(1337)}`)).toBeVisible();
  await page.getByRole("button", { name: "Add to cart", exact: true }).click();
  await expect(page.getByRole("link", { name: "Cart 1 item" })).toBeVisible();

  // The cart's line is the API's display amount; the total says what is charged.
  await page.getByRole("link", { name: /^Cart/ }).click();
  const { body: cart } = await shop.json<{ items: { display: { amount: number } }[] }>("GET", "/api/cart?currency=EUR", shopper.token);
  await expect(page.locator(".line-total")).toHaveText(money(cart.items[0]!.display.amount, euro));
  const total = 1337 + 499;
  const totalText = `≈ ${money(convert(total, euro).amount, euro)} · charged ${usd(total)}`;
  await expect(page.locator(".totals .total dd")).toHaveText(totalText);
  await expectAccessible(page);

  await page.getByRole("button", { name: "Checkout" }).click();
  await fillCheckout(page, CARD_OK);
  await expect(page.locator(".totals .total dd")).toHaveText(totalText);
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByRole("heading", { name: "Thank you for your order" })).toBeVisible();

  const orderId = (await page.locator(".order-number").textContent())!;
  const { body: order } = await shop.json<{ total: number; currency: string; display: unknown }>("GET", `/api/orders/${orderId}`, shopper.token);
  expect(order).toMatchObject({ total, currency: "USD", display: { currency: "EUR", rate: euro.rate, total: convert(total, euro) } });
  await expect(page.getByText(`≈ ${money(convert(total, euro).amount, euro)} (1 USD = ${euro.rate} EUR)`)).toBeVisible();
});

test.describe("on a 390 px phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });

  test("the facets open under Filters, filter by a tap, and nothing scrolls sideways", async ({ page, shop }) => {
    await page.goto("/?q=steel");
    await expect(page.getByRole("heading", { name: "Results for “steel”" })).toBeVisible();
    await page.getByText("Filters", { exact: true }).tap();
    const { body } = await shop.json<Listed>("GET", "/api/products?q=steel&facets=true");
    const chosen = body.facets.categories[0]!;
    const link = page.getByRole("navigation", { name: "Categories" }).getByRole("link", { name: new RegExp(`^${chosen.name} \\(${chosen.count}\\)`, "i") });
    await expect(link).toBeVisible();
    await expect(page.getByLabel("Show prices in")).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectAccessible(page);

    await link.tap();
    await expect(page.getByRole("article")).toHaveCount(chosen.count);
    await expect(page).toHaveURL(new RegExp(`category=${chosen.name}`));
    await expectNoHorizontalScroll(page);
  });
});
