/**
 * The Cluster page over a real cluster: the platform on a private
 * nats-server, and a second node running only `products` started during the
 * test. The open page shows it arrive with its service (products then runs
 * on two nodes), and shows it leave once it is killed.
 */
import path from "node:path";
import { expect, expectAccessible } from "./fixtures";
import { openConsoleAsAdmin } from "./admin-support";
import { startPlatformNode } from "./platform-node";
import { testOnOwnPlatform } from "./own-platform";
import { startNode } from "../support/cluster";
import { startNatsServer } from "../support/nats-server";

const NAMESPACE = "browser-cluster";

const test = testOnOwnPlatform(async () => {
  const nats = await startNatsServer();
  try {
    const node = await startPlatformNode({ namespace: NAMESPACE, name: "platform", transporter: nats.url });
    return {
      url: node.url,
      transporter: nats.url,
      async stop() {
        await node.stop();
        await nats.stop();
      },
    };
  } catch (err) {
    await nats.stop();
    throw err;
  }
});

test("a products node started during the test appears on the open Cluster page, and is shown leaving once killed", async ({ page, platform }) => {
  await openConsoleAsAdmin(page, "/admin/cluster");
  const nodes = page.getByRole("table", { name: /Every node/ });
  const services = page.getByRole("table", { name: /Each service/ });
  await expect(nodes.getByRole("row").filter({ hasText: "platform-" })).toContainText("Up");
  await expect(services.getByRole("row", { name: "products 1" })).toBeVisible();

  const extra = await startNode({ services: ["products"], name: "catalog-extra", transporter: platform.transporter, namespace: NAMESPACE, env: { LOG_LEVEL: "warn" } });
  try {
    const row = nodes.getByRole("row").filter({ hasText: extra.nodeID });
    // Bounded by the node's own start (a process of the build, its store and its consumers), not by the page.
    await expect(row).toContainText("Up", { timeout: 60_000 });
    await expect(row.getByText("products", { exact: true })).toBeVisible();
    await expect(row.locator(".tag")).toHaveText(["products"]);
    await expect(services.getByRole("row", { name: "products 2" })).toBeVisible();
    await expect(page.getByRole("definition").first()).toHaveText("2");
    await expectAccessible(page);
    if (process.env.SCREENSHOTS) {
      await page.screenshot({ path: path.resolve(__dirname, "../../docs/screenshots/admin-cluster-two-nodes-desktop.png"), fullPage: true });
    }

    await extra.kill();
    await expect(row).toContainText(/Left at/, { timeout: 30_000 });
    await expect(services.getByRole("row", { name: "products 1" })).toBeVisible();
    await expect(page.getByRole("definition").first()).toHaveText("1");
    await expectAccessible(page);
  } finally {
    await extra.stop("SIGKILL");
  }
});
