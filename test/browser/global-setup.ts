/**
 * One live platform for the browser suite: every service of the build in one
 * node process (embedded: no NATS or Redis), in-memory data (NODE_ENV=test),
 * on a free port. The tests find it in SHOP_URL.
 */
import fs from "node:fs";
import path from "node:path";
import { assertFreshBuild } from "../support/fresh-build";
import { startPlatformNode } from "./platform-node";

const ROOT = path.resolve(__dirname, "..", "..");
const WEB_SOURCES = ["web/src", "web/index.html", "web/public", "clients/typescript"];

/** The page under test must be built from the current web/ sources (npm run build). */
function assertFreshStorefront(): void {
  const index = path.join(ROOT, "web/dist/index.html");
  if (!fs.existsSync(index)) throw new Error("web/dist/index.html is missing: run `npm run build` before the browser suite.");
  const builtAt = fs.statSync(index).mtimeMs;
  const newer = WEB_SOURCES.flatMap((source) => {
    const full = path.join(ROOT, source);
    const files = fs.statSync(full).isDirectory() ? (fs.readdirSync(full, { recursive: true }) as string[]).map((f) => path.join(full, f)) : [full];
    return files.filter((file) => fs.statSync(file).isFile() && fs.statSync(file).mtimeMs > builtAt);
  });
  if (newer.length > 0) throw new Error(`web/dist is older than ${newer.map((f) => path.relative(ROOT, f)).join(", ")}: run \`npm run build\`.`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  assertFreshBuild();
  assertFreshStorefront();
  // Webhook deliveries die after two retries a second apart (admin-webhooks.spec.ts); 127.0.0.1 receivers are allowed outside production.
  const node = await startPlatformNode({ namespace: "browser", name: "storefront", env: { WEBHOOKS_RETRY_SCHEDULE: "1s,1s" } });
  process.env.SHOP_URL = node.url;
  return async () => {
    await node.stop();
  };
}
