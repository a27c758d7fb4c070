/**
 * The Cluster page of the operator console: the live platform's node with its
 * services, the services, per-action numbers, durable-event consumers and
 * outboxes, read again every few seconds. Who may see the console.
 */
import path from "node:path";
import { expect, expectAccessible, expectNoHorizontalScroll, test } from "./fixtures";
import { openConsoleAsAdmin } from "./admin-support";

test("an admin sees the node with its services, the services with their node counts, the consumers and the outboxes", async ({ page }) => {
  await openConsoleAsAdmin(page, "/admin/cluster");
  await expect(page.getByRole("heading", { name: "Cluster", level: 1 })).toBeVisible();

  const nodes = page.getByRole("table", { name: /Every node/ });
  const node = nodes.getByRole("row").filter({ hasText: "storefront" });
  await expect(node).toContainText("Up");
  for (const service of ["api", "orders", "products", "payments", "ops"]) await expect(node.getByText(service, { exact: true })).toBeVisible();

  const services = page.getByRole("table", { name: /Each service/ });
  await expect(services.getByRole("row", { name: "products 1" })).toBeVisible();
  await expect(services.getByRole("row", { name: "notifications 1" })).toBeVisible();

  // The page's own reads are actions too: they show up with a rate once the metrics have seen them.
  await expect(page.getByRole("table", { name: /per action/ }).getByRole("rowheader", { name: "ops.cluster" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("table", { name: /per consuming service/ }).getByRole("rowheader", { name: "notifications" })).toBeVisible();
  await expect(page.getByRole("table", { name: /not yet published/ }).getByRole("rowheader", { name: "orders" })).toBeVisible();
  await expect(page.getByText("No breaker is open or half-open.")).toBeVisible();
  await expectAccessible(page);
});

test("the page reads the cluster again by itself", async ({ page }) => {
  await openConsoleAsAdmin(page, "/admin/cluster");
  const readAt = page.getByText(/read at/);
  await expect(readAt).toBeVisible();
  const first = await readAt.textContent();
  await expect(readAt).not.toHaveText(first ?? "", { timeout: 15_000 });
});

test.describe("on a 390 px phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true });

  test("the Cluster page fits the screen", async ({ page }) => {
    await openConsoleAsAdmin(page, "/admin/cluster");
    await expect(page.getByRole("table", { name: /Every node/ })).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectAccessible(page);
  });
});

test.describe("screenshots of the Cluster page", () => {
  test.skip(!process.env.SCREENSHOTS, "taken on request: npm run screenshots");
  const OUT = path.resolve(__dirname, "../../docs/screenshots");
  for (const [size, viewport] of Object.entries({ desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } })) {
    test.describe(size, () => {
      test.use({ viewport, deviceScaleFactor: 1, isMobile: size === "phone" });
      test(`on a ${size}`, async ({ page }) => {
        await openConsoleAsAdmin(page, "/admin/cluster");
        await expect(page.getByRole("table", { name: /per action/ })).toBeVisible({ timeout: 30_000 });
        await page.screenshot({ path: path.join(OUT, `admin-cluster-${size}.png`), fullPage: true });
      });
    });
  }
});
