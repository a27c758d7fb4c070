/**
 * The Webhooks page of the operator console against the live platform and a
 * receiver on 127.0.0.1 that verifies every message with the
 * `standardwebhooks` package: an endpoint created in the page shows its
 * secret once, a test event arrives signed with it, a delivery the receiver
 * keeps refusing dies (the browser suite's node retries after 1 s, twice:
 * global-setup.ts) and the page's Retry sends it again.
 */
import path from "node:path";
import { randomUUID } from "node:crypto";
import type { Locator, Page } from "@playwright/test";
import { expect, expectAccessible, expectNoHorizontalScroll, test } from "./fixtures";
import { openConsoleAsAdmin } from "./admin-support";
import { startReceiver, type Receiver } from "../webhooks/support/receiver";

let receiver: Receiver;

test.beforeEach(async () => {
  receiver = await startReceiver(`/hooks/${randomUUID()}`);
});
test.afterEach(async () => {
  await receiver.stop();
});

/** Creates an endpoint for the receiver in the page; answers the secret the page showed. */
async function createEndpoint(page: Page, description: string): Promise<string> {
  await page.getByRole("button", { name: "New endpoint" }).click();
  const form = page.getByRole("form", { name: "New webhook endpoint" });
  await form.getByLabel("URL").fill(receiver.url);
  await form.getByRole("group", { name: "Events" }).getByLabel("order.paid").check();
  await form.getByLabel("Description").fill(description);
  await form.getByRole("button", { name: "Create endpoint" }).click();
  const panel = page.getByRole("region", { name: `Signing secret of ${receiver.url}` });
  await expect(panel).toContainText("Shown this once");
  const secret = await panel.getByLabel("Signing secret").inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
  return secret;
}

function endpointRow(page: Page): Locator {
  return page.getByRole("table", { name: /Endpoints/ }).getByRole("row").filter({ hasText: receiver.url });
}

function deliveryRows(page: Page): Locator {
  return page.getByRole("table", { name: /Deliveries, newest first/ }).getByRole("row").filter({ hasText: "webhook.test" });
}

test("an endpoint made in the page shows its secret once, receives a signed test event, and a dead delivery is sent again with Retry", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await openConsoleAsAdmin(page, "/admin/webhooks");
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

  const secret = await createEndpoint(page, "Browser test receiver");
  await page.getByRole("button", { name: "Copy secret" }).click();
  await expect(page.getByText("Copied to the clipboard.")).toBeVisible();
  expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(secret);
  await expectAccessible(page);
  await page.getByRole("button", { name: "I have stored the secret" }).click();
  await expect(page.getByLabel("Signing secret")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await expect(endpointRow(page)).toContainText("Enabled");
  await expect(endpointRow(page)).toContainText("Browser test receiver");
  receiver.trust([secret]);

  // A test event: sent, verified by the receiver with the secret the page showed, succeeded in the page.
  await page.getByRole("button", { name: `Send test to ${receiver.url}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "A webhook.test event is on its way" })).toBeVisible();
  await expect(deliveryRows(page).first()).toContainText("succeeded");
  await expect(deliveryRows(page).first()).toContainText("HTTP 200");
  expect(receiver.received).toHaveLength(1);
  expect(receiver.received[0].verified).toMatchObject({ type: "webhook.test" });
  await expect(deliveryRows(page).first()).toContainText(receiver.received[0].headers["webhook-id"]);

  // The receiver refuses every attempt: after the schedule's two retries the delivery is dead.
  receiver.answer([500, 500, 500]);
  await page.getByRole("button", { name: `Send test to ${receiver.url}` }).click();
  // By the row's state, not its text: "dead" is also a word of hex ids.
  const dead = page.getByRole("table", { name: /Deliveries, newest first/ }).locator("tr.delivery-dead");
  await expect(dead).toHaveCount(1, { timeout: 30_000 });
  await expect(dead).toContainText("HTTP 500");
  await expect(dead.getByRole("cell").nth(1)).toHaveText("3");
  const deadId = receiver.received[1].headers["webhook-id"];
  expect(receiver.received.slice(1).map((r) => [r.headers["webhook-id"], r.answered])).toEqual([
    [deadId, 500],
    [deadId, 500],
    [deadId, 500],
  ]);
  await page.getByRole("button", { name: "Refresh deliveries" }).click();
  await expect(endpointRow(page).getByRole("cell").nth(3)).toHaveText("1");
  await expectAccessible(page);
  await page.screenshot({ path: path.join(test.info().outputDir, "admin-webhooks-dead.png"), fullPage: true });

  // Retry: the same message, now answered 200; the page says so and the row ends succeeded.
  await dead.getByRole("button", { name: /^Retry webhook.test delivery/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "is pending again" })).toBeVisible();
  await expect(page.getByRole("table", { name: /Deliveries, newest first/ }).locator("tr.delivery-dead")).toHaveCount(0);
  await expect(deliveryRows(page)).toHaveCount(2);
  for (const row of await deliveryRows(page).all()) await expect(row).toContainText("succeeded");
  await expect(deliveryRows(page).first()).toContainText("retried 1×");
  expect(receiver.received).toHaveLength(5);
  expect(receiver.received[4]).toMatchObject({ answered: 200, headers: expect.objectContaining({ "webhook-id": deadId }) });
  expect(receiver.received.every((r) => r.verified?.type === "webhook.test")).toBe(true);
  await page.screenshot({ path: path.join(test.info().outputDir, "admin-webhooks.png"), fullPage: true });
});

test("an endpoint's events and description are edited, it is disabled and enabled, its secret rotated, and it is deleted after a confirmation", async ({ page }) => {
  await openConsoleAsAdmin(page, "/admin/webhooks");
  const first = await createEndpoint(page, "To be changed");
  await page.getByRole("button", { name: "I have stored the secret" }).click();

  await page.getByRole("button", { name: `Edit ${receiver.url}` }).click();
  const form = page.getByRole("form", { name: `Edit ${receiver.url}` });
  await form.getByLabel("stock.low").check();
  await form.getByLabel("order.paid").uncheck();
  await form.getByLabel("Description").fill("Warehouse");
  await form.getByRole("button", { name: "Save endpoint" }).click();
  await expect(endpointRow(page).getByRole("cell").first()).toHaveText("stock.low");
  await expect(endpointRow(page)).toContainText("Warehouse");

  await page.getByRole("button", { name: `Disable ${receiver.url}` }).click();
  await expect(endpointRow(page)).toContainText("Disabled");
  await expect(endpointRow(page)).toContainText("disabled by an admin");
  await expect(page.getByRole("button", { name: `Send test to ${receiver.url}` })).toBeDisabled();
  await page.getByRole("button", { name: `Enable ${receiver.url}` }).click();
  await expect(endpointRow(page)).toContainText("Enabled");

  await page.getByRole("button", { name: `Rotate secret of ${receiver.url}` }).click();
  const panel = page.getByRole("region", { name: `New signing secret of ${receiver.url}` });
  await expect(panel).toContainText("the old secret keeps signing");
  const second = await panel.getByLabel("Signing secret").inputValue();
  expect(second).toMatch(/^whsec_/);
  expect(second).not.toBe(first);
  await expect(endpointRow(page)).toContainText("Old secret valid until");
  await page.getByRole("button", { name: "I have stored the secret" }).click();

  await page.getByRole("button", { name: `Delete ${receiver.url}` }).click();
  const confirm = page.getByRole("alertdialog", { name: `Delete ${receiver.url}?` });
  await expect(confirm).toContainText("cannot be undone");
  await expectAccessible(page);
  await confirm.getByRole("button", { name: "Keep endpoint" }).click();
  await expect(endpointRow(page)).toHaveCount(1);
  await page.getByRole("button", { name: `Delete ${receiver.url}` }).click();
  await page.getByRole("alertdialog", { name: `Delete ${receiver.url}?` }).getByRole("button", { name: "Delete endpoint" }).click();
  await expect(page.getByRole("status").filter({ hasText: "deleted, with its delivery log" })).toBeVisible();
  await expect(endpointRow(page)).toHaveCount(0);
});

test.describe("a refused URL", () => {
  test.use({ expectedApiErrors: [422] });

  test("is named next to its field", async ({ page }) => {
    await openConsoleAsAdmin(page, "/admin/webhooks");
    await page.getByRole("button", { name: "New endpoint" }).click();
    const form = page.getByRole("form", { name: "New webhook endpoint" });
    // A cloud metadata address: refused even where private addresses are allowed.
    await form.getByLabel("URL").fill("http://169.254.169.254/latest/meta-data");
    await form.getByLabel("order.shipped").check();
    await form.getByRole("button", { name: "Create endpoint" }).click();
    await expect(form.getByLabel("URL")).toHaveAttribute("aria-invalid", "true");
    await expect(form.locator("#endpoint-url-problem")).toContainText("The 'url' field");
    await expect(page.getByRole("region", { name: /Signing secret/ })).toHaveCount(0);
    await expectAccessible(page);
  });
});

test.describe("on a 390 px phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true });

  test("the page fits the screen", async ({ page }) => {
    await openConsoleAsAdmin(page, "/admin/webhooks");
    await createEndpoint(page, "Phone");
    await expectNoHorizontalScroll(page);
    await page.getByRole("button", { name: "I have stored the secret" }).click();
    await page.getByRole("button", { name: `Deliveries of ${receiver.url}` }).click();
    await expect(page.getByText("No deliveries yet.")).toBeVisible();
    await expectNoHorizontalScroll(page);
    await page.screenshot({ path: path.join(test.info().outputDir, "admin-webhooks-phone.png"), fullPage: true });
  });
});
