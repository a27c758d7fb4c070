/**
 * The Faults page on a platform of its own with FAULT_INJECTION on (never in
 * production: the config refuses it there). An admin makes every charge fail
 * through the page; checkouts fail, the circuit breaker on payments.charge
 * opens and the Cluster page shows it; the admin switches the fault off, the
 * page shows the breaker half-open, and the next paid checkout closes it.
 */
import { expect, expectAccessible } from "./fixtures";
import { openConsoleAsAdmin } from "./admin-support";
import { startPlatformNode } from "./platform-node";
import { testOnOwnPlatform } from "./own-platform";
import { waitUntil } from "../support/wait-until";

const test = testOnOwnPlatform(async () => {
  const node = await startPlatformNode({ namespace: "browser-faults", name: "faults", env: { FAULT_INJECTION: "true" } });
  return { url: node.url, stop: async () => void (await node.stop()) };
});

interface Breaker {
  action: string;
  state: string;
}

test("an admin makes charges fail on the Faults page, sees the breaker open on the Cluster page, switches the fault off and sees the breaker half-open, then closed by a paid checkout", async ({ page, shop }) => {
  const shopper = await shop.register();
  const product = await shop.createProduct({ name: `Fault Lamp ${Date.now()}`, price: 1500, stock: 100 });
  await shop.addToCart(shopper.token, product.id, 1);
  const admin = await shop.adminToken();

  await openConsoleAsAdmin(page, "/admin/faults");
  await expect(page.getByText("No fault is switched on.")).toBeVisible();
  await page.getByLabel("Action or service").fill("payments.charge");
  await page.getByLabel("Error rate (0 to 1)").fill("1");
  await page.getByLabel("Error code").selectOption("503");
  await page.getByRole("button", { name: "Switch on fault" }).click();
  await expect(page.getByRole("status")).toHaveText("Fault on payments.charge switched on.");
  const rules = page.getByRole("table", { name: "Faults switched on" });
  await expect(rules.getByRole("row", { name: "payments.charge – 1 503 Switch off the fault on payments.charge" })).toBeVisible();
  await expectAccessible(page);

  // Every charge fails: checkouts fail (the cart is kept) until the breaker has seen enough failures to open.
  const statuses = new Set<number>();
  await waitUntil(
    async () => {
      statuses.add((await shop.checkout(shopper.token)).status);
      const { body } = await shop.json<{ breakers: Breaker[] }>("GET", "/api/admin/cluster", admin);
      return body.breakers.some((b) => b.action === "payments.charge" && b.state === "open");
    },
    { description: "the breaker on payments.charge to open", timeoutMs: 60_000, intervalMs: 0 },
  );
  expect([...statuses]).toEqual([503]);

  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Cluster" }).click();
  const breakers = page.getByRole("table", { name: "Breakers that are open or half-open" });
  await expect(breakers.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "payments.charge" }) })).toContainText(/Open|Half-open/);
  await expect(page.getByRole("definition").nth(2)).not.toHaveText("0");
  await expectAccessible(page);

  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Faults" }).click();
  await page.getByRole("button", { name: "Switch off the fault on payments.charge" }).click();
  await expect(page.getByRole("status")).toHaveText("Fault on payments.charge switched off.");
  await expect(page.getByText("No fault is switched on.")).toBeVisible();

  expect((await shop.json<{ rules: unknown[] }>("GET", "/api/admin/faults", admin)).body).toEqual({ rules: [] });

  // The breaker lets a trial call through once it is half-open (10 s after it opened): the page shows that too.
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Cluster" }).click();
  await expect(breakers.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "payments.charge" }) })).toContainText("Half-open", { timeout: 30_000 });
  await expectAccessible(page);

  // Another shopper: the first has used up its checkout attempts (429), an answer no breaker counts, so
  // its trial calls would leave the breakers half-open for good. The trial that is paid closes them.
  const next = await shop.register();
  await shop.addToCart(next.token, product.id, 1);
  let last = "";
  await waitUntil(
    async () => {
      const answer = await shop.checkout(next.token);
      last = `${answer.status} ${JSON.stringify(answer.body)}`;
      return answer.status === 201;
    },
    { description: () => `a checkout paid again (last answer: ${last})`, timeoutMs: 60_000, intervalMs: 500 },
  );
  await expect(breakers.getByRole("rowheader", { name: "payments.charge" })).toHaveCount(0);
});
