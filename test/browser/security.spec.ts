/**
 * What a hostile product description could do in the page: nothing. It is
 * shown as text, and the page's Content-Security-Policy refuses any script
 * that is not one of the shop's own files (docs/security.md, "Browser").
 */
import { expect, test } from "./fixtures";

const HOSTILE = `<img src=x onerror="window.__stolen = localStorage.getItem('shop.token')"><script>window.__stolen = 'script ran'</script>`;

test("a product description with markup is shown as text and runs nothing", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Suspicious Teapot ${Date.now()}`, price: 1000, stock: 3 });
  const admin = await shop.adminToken();
  expect((await shop.json("PATCH", `/api/products/${product.id}`, admin, { description: HOSTILE })).status).toBe(200);

  await page.goto("/");
  await page.evaluate(([token]) => localStorage.setItem("shop.token", token!), [shopper.token]);
  await page.goto(`/products/${product.id}`);

  await expect(page.getByText(HOSTILE)).toBeVisible();
  await expect(page.locator(".description img, .description script")).toHaveCount(0);
  expect(await page.evaluate("window.__stolen")).toBeUndefined();
});

test.describe("the page's policy", () => {
  test.use({ expectedConsoleErrors: [/Content Security Policy/] });

  test("refuses an inline script even if one got into the page", async ({ page }) => {
    await page.goto("/");
    // Strings: the root tsconfig has no DOM types (it compiles the services).
    const violation = page.evaluate<string>(
      `new Promise((resolve) => document.addEventListener("securitypolicyviolation", (event) => resolve(event.violatedDirective), { once: true }))`,
    );
    await page.evaluate(`{
      const script = document.createElement("script");
      script.textContent = "window.__stolen = localStorage.getItem('shop.token') ?? 'ran'";
      document.body.appendChild(script);
    }`);
    expect(await violation).toMatch(/^script-src/);
    expect(await page.evaluate("window.__stolen")).toBeUndefined();
  });
});
