/**
 * The operator console's working pages against the live platform: an admin
 * ships an order, changes stock with a reason, disables and enables a customer.
 */
import { expect, expectAccessible, test } from "./fixtures";
import { openConsoleAsAdmin } from "./admin-support";

test("an admin finds a customer's paid order by email, ships it, advances the shipment and sees the list updated", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Walnut Tray ${Date.now()}`, price: 2400, stock: 3 });
  await shop.addToCart(shopper.token, product.id, 2);
  const { status, body: placed } = await shop.checkout(shopper.token);
  expect(status).toBe(201);

  await openConsoleAsAdmin(page, "/admin/orders");
  await page.getByLabel("Customer email").fill(shopper.email);
  await page.getByLabel("Status").selectOption("paid");
  await page.getByRole("button", { name: "Filter orders" }).click();
  const list = page.getByRole("table", { name: /^Orders, newest first/ });
  await expect(list).toHaveAccessibleName("Orders, newest first (1)");
  await expectAccessible(page);

  await list.getByRole("button", { name: `Open order ${placed.id}` }).click();
  const detail = page.getByRole("region", { name: `Order ${placed.id}` });
  await expect(detail.getByRole("table", { name: "Lines" })).toContainText(product.name);
  await expect(detail).toContainText("Payment: captured");
  await expect(detail).toContainText(`by ${shopper.name} (${shopper.email})`);
  await expect(detail).toContainText("Shipment: none yet");
  await expectAccessible(page);

  await detail.getByRole("button", { name: "Ship order" }).click();
  await expect(detail.getByRole("status")).toHaveText(`Order ${placed.id} shipped.`);
  await expect(detail).toContainText("Status: Shipped");
  await expect(detail).toContainText("label created");
  // The list was read again: the filter still says "paid", and the order is no longer paid.
  await expect(page.getByText("No orders match.")).toBeVisible();
  expect((await shop.json<{ status: string }>("GET", `/api/orders/${placed.id}`, shopper.token)).body.status).toBe("shipped");

  await detail.getByRole("button", { name: "Advance shipment" }).click();
  await expect(detail.getByRole("status")).toHaveText(`Shipment of order ${placed.id} is now in transit.`);
  await expect(detail.getByRole("button", { name: "Cancel and refund" })).toHaveCount(0);
});

test("an admin cancels a paid order with a refund and the units go back into stock", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Cork Coasters ${Date.now()}`, price: 900, stock: 5 });
  await shop.addToCart(shopper.token, product.id, 1);
  const { body: placed } = await shop.checkout(shopper.token);

  await openConsoleAsAdmin(page, "/admin/orders");
  await page.getByLabel("Customer email").fill(shopper.email);
  await page.getByRole("button", { name: "Filter orders" }).click();
  await page.getByRole("button", { name: `Open order ${placed.id}` }).click();
  const detail = page.getByRole("region", { name: `Order ${placed.id}` });
  await detail.getByRole("button", { name: "Cancel and refund" }).click();
  await expect(detail.getByRole("status")).toContainText("cancelled; the payment is refunded");
  await expect(detail).toContainText("Status: Cancelled");
  await expect(page.getByRole("table", { name: /^Orders/ }).getByRole("row").filter({ hasText: placed.id })).toContainText("Cancelled");
  await expect.poll(async () => (await shop.product(product.id)).stock).toBe(5);
});

test("an admin sees the lowest stock first and changes a product's stock with a reason", async ({ page, shop }) => {
  const product = await shop.createProduct({ name: `Empty Jar ${Date.now()}`, price: 500, stock: 0 });

  await openConsoleAsAdmin(page, "/admin/catalog");
  const table = page.getByRole("table", { name: /lowest stock first/ });
  // Out of stock sorts before every product that has some.
  await expect(table.getByRole("row").nth(1).getByRole("cell").nth(2)).toHaveText("0");
  await expect(table.getByRole("rowheader", { name: product.name })).toBeVisible();
  await expectAccessible(page);

  await page.getByRole("button", { name: `Change stock of ${product.name}` }).click();
  await page.getByLabel("Units").fill("7");
  await page.getByLabel("Reason").fill("delivery from the supplier");
  await page.getByRole("button", { name: "Save stock change" }).click();
  await expect(page.getByRole("status")).toHaveText(`Stock of ${product.name} is now 7.`);
  await expect(table.getByRole("row").filter({ hasText: product.name })).toContainText("7");
  expect((await shop.product(product.id)).stock).toBe(7);

  await page.getByRole("button", { name: `Change stock of ${product.name}` }).click();
  await page.getByLabel("Kind of change").selectOption("set");
  await page.getByLabel("Units").fill("2");
  await page.getByLabel("Reason").fill("counted on the shelf");
  await page.getByRole("button", { name: "Save stock change" }).click();
  await expect(page.getByRole("status")).toHaveText(`Stock of ${product.name} is now 2.`);
});

test("an admin creates, edits and archives a product", async ({ page, shop }) => {
  const sku = `C-${Date.now()}`;
  await openConsoleAsAdmin(page, "/admin/catalog");
  await page.getByRole("button", { name: "New product" }).click();
  await page.getByLabel("SKU").fill(sku);
  await page.getByLabel("Name").fill(`Tin Lantern ${sku}`);
  await page.getByLabel("Category").fill("home");
  await page.getByLabel("Description").fill("A lantern of tin.");
  await page.getByLabel("Price (USD)").fill("19.50");
  await page.getByLabel("Weight (g)").fill("400");
  await page.getByLabel("Initial stock").fill("0");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Create product" }).click();
  await expect(page.getByRole("status")).toHaveText(`Tin Lantern ${sku} created.`);

  await page.getByRole("button", { name: `Edit Tin Lantern ${sku}` }).click();
  await page.getByLabel("Price (USD)").fill("21.00");
  await page.getByRole("button", { name: "Save product" }).click();
  await expect(page.getByRole("status")).toHaveText(`Tin Lantern ${sku} saved.`);
  await expect(page.getByRole("row").filter({ hasText: sku })).toContainText("$21.00");

  await page.getByRole("button", { name: `Archive Tin Lantern ${sku}` }).click();
  await expect(page.getByRole("status")).toHaveText(`Tin Lantern ${sku} archived: it is no longer sold.`);
  await expect(page.getByRole("row").filter({ hasText: sku })).toHaveCount(0);
  const { body } = await shop.json<{ rows: { sku: string }[] }>("GET", `/api/products?q=${sku}`);
  expect(body.rows).toEqual([]);
});

test.describe("customers", () => {
  test.use({ expectedApiErrors: [401] });

  test("an admin disables a customer, whose sign-in then fails, and enables them again", async ({ page, shop }) => {
    const shopper = await shop.register();
    // Newest accounts are last: the customer's page of the oldest-first list.
    await openConsoleAsAdmin(page, "/admin/customers");
    // Read first: before the list arrives, no row names the customer on any page.
    await expect(page.getByRole("table", { name: /^Accounts, oldest first/ })).toBeVisible();
    while ((await page.getByRole("rowheader", { name: shopper.email }).count()) === 0) {
      // The pager's number changes at the click, the rows once they are read: wait for other rows.
      const firstListed = await page.getByRole("rowheader").first().textContent();
      await page.getByRole("button", { name: "Next page" }).click();
      await expect(page.getByRole("rowheader").first()).not.toHaveText(firstListed ?? "");
    }
    const row = page.getByRole("row").filter({ hasText: shopper.email });
    await expect(row).toContainText("Active");
    await expectAccessible(page);

    await page.getByRole("button", { name: `Disable ${shopper.email}` }).click();
    await expect(page.getByRole("status")).toHaveText(`${shopper.email} is disabled.`);
    await expect(row).toContainText("Disabled");
    expect((await shop.json("POST", "/api/auth/login", undefined, { email: shopper.email, password: shopper.password })).status).toBe(401);

    await page.getByRole("button", { name: `Enable ${shopper.email}` }).click();
    await expect(page.getByRole("status")).toHaveText(`${shopper.email} is enabled.`);
    await expect(row).toContainText("Active");
    expect((await shop.json("POST", "/api/auth/login", undefined, { email: shopper.email, password: shopper.password })).status).toBe(200);
  });
});

test.describe("faults", () => {
  test.use({ expectedApiErrors: [404] });

  test("without FAULT_INJECTION the Faults page says fault injection is off", async ({ page }) => {
    await openConsoleAsAdmin(page, "/admin/faults");
    await expect(page.getByText("Fault injection is off on this platform.")).toBeVisible();
    await expectAccessible(page);
  });
});
