/**
 * What one checkout costs in work, not time: the database writes per order
 * of each node's collections (lines appended to its NeDB datafiles) and the
 * NATS messages per order by kind, counted over `BENCH_ORDERS` (50)
 * checkouts one after another on a cluster of the build (`npm run build`
 * first, or `BENCH_BUILD_DIR`). Counts do not drift with the machine's load
 * the way timings do, so they show whether a change removed work.
 *
 *   tsx bench/per-order.ts
 *
 * With BENCH_MEMORY_ORDERS=N it then runs N more checkouts (one per shopper,
 * shoppers at once) and prints each node's resident memory before and after,
 * per 1,000 orders: what the stored orders cost each node's memory.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect } from "nats";
import { startCluster } from "../test/support/cluster";
import { SERVICE_GROUPS } from "../scripts/cluster-processes";
import { BENCH_BUILD, PLATFORM_ENV, natsUrl, startNatsServer } from "./lib/processes";
import { APPROVED_CARD, CHECKOUT_ADDRESS, registerUsers, stockUp, type ShopUser } from "./lib/shop";
import { residentMb } from "./lib/load";

const ORDERS = Number(process.env.BENCH_ORDERS ?? 50);
const MEMORY_ORDERS = Number(process.env.BENCH_MEMORY_ORDERS ?? 0);
const SETTLE_MS = 3000;

/** Lines (one per written document) of each datafile under `dir`. */
function datafileLines(dir: string): Map<string, number> {
  const lines = new Map<string, number>();
  if (!fs.existsSync(dir)) return lines;
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith(".db")) lines.set(file, fs.readFileSync(path.join(dir, file), "utf8").split("\n").filter(Boolean).length);
  }
  return lines;
}

/** A message's kind: Moleculer's packet type and action or event; JetStream's API, acks and replies by subject. */
function kindOf(subject: string, data: Uint8Array): string {
  const moleculer = /^MOL[^.]*\.([A-Z]+)\b/.exec(subject);
  if (moleculer) {
    try {
      const packet = JSON.parse(Buffer.from(data).toString()) as { action?: string; event?: string };
      return `${moleculer[1]} ${packet.action ?? packet.event ?? ""}`.trim();
    } catch {
      return moleculer[1];
    }
  }
  if (subject.startsWith("$JS.ACK.")) return "JetStream ack";
  if (subject.startsWith("$JS.API.")) return `JetStream ${subject.split(".").slice(2, 4).join(".")}`;
  if (subject.startsWith("_INBOX.")) return "reply to an inbox";
  return `stream ${subject.split(".").slice(1).join(".")}`;
}

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), "bench-per-order-"));
  const cluster = await startCluster({
    project: BENCH_BUILD,
    transporter: natsUrl(nats),
    // A long request timeout: on a loaded machine the admin's and the shoppers' logins (scrypt) outlast
    // the default, and admission control sheds the stock-up's admin requests; counts depend on neither.
    // The memory run checks out more often per user than the per-user limit allows.
    env: { ...PLATFORM_ENV, REQUEST_TIMEOUT: "20000", ADMISSION_CONTROL: "false", CHECKOUT_ATTEMPT_LIMIT: "100000000" },
    readyPath: "/api/health/ready",
    nodes: SERVICE_GROUPS.map((group) => ({ name: group.name, services: [...group.services], env: { DATA_DIR: path.join(dataRoot, group.name) } })),
  });
  const watcher = await connect({ servers: natsUrl(nats) });
  try {
    const url = cluster.gatewayUrl;
    const productIds = await stockUp(url, 1_000_000);
    const users = await registerUsers(url, 4);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

    const messages = new Map<string, number>();
    let counting = true;
    watcher.subscribe(">", {
      callback: (_err, msg) => {
        if (!counting) return;
        const kind = kindOf(msg.subject, msg.data);
        messages.set(kind, (messages.get(kind) ?? 0) + 1);
      },
    });
    const before = new Map(SERVICE_GROUPS.map((group) => [group.name, datafileLines(path.join(dataRoot, group.name))]));

    const order = async (i: number, user: ShopUser) => {
      const headers = { "content-type": "application/json", authorization: `Bearer ${user.token}` };
      const added = await fetch(`${url}/api/cart/items`, { method: "POST", headers, body: JSON.stringify({ productId: productIds[i % productIds.length], quantity: 1 }) });
      const body = JSON.stringify({ shippingAddress: CHECKOUT_ADDRESS, shippingMethod: "standard", payment: APPROVED_CARD });
      const checkout = await fetch(`${url}/api/orders`, { method: "POST", headers: { ...headers, "idempotency-key": `per-order-${i}` }, body });
      if (added.status !== 201 || checkout.status !== 201) throw new Error(`Order ${i}: add ${added.status}, checkout ${checkout.status} ${await checkout.text()}`);
    };
    for (let i = 0; i < ORDERS; i++) await order(i, users[i % users.length]);
    // Events reach their consumers after the answers.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    counting = false;

    const perOrder = (n: number) => (n / ORDERS).toFixed(2);
    console.log(`\n${ORDERS} checkouts (add one line, check out), one at a time\n\n| node | collection | writes per order |\n|---|---|---|`);
    for (const group of SERVICE_GROUPS) {
      for (const [file, lines] of datafileLines(path.join(dataRoot, group.name))) {
        const added = lines - (before.get(group.name)?.get(file) ?? 0);
        if (added > 0) console.log(`| ${group.name} | ${file.replace(/\.db$/, "")} | ${perOrder(added)} |`);
      }
    }
    console.log("\n| NATS message | per order |\n|---|---|");
    const sorted = [...messages].sort((a, b) => b[1] - a[1]);
    for (const [kind, count] of sorted) if (count / ORDERS >= 0.05) console.log(`| ${kind} | ${perOrder(count)} |`);
    console.log(`| all | ${perOrder(sorted.reduce((sum, [, count]) => sum + count, 0))} |`);

    if (MEMORY_ORDERS > 0) {
      const resident = () => new Map(cluster.nodes.map((node) => [node.nodeID.replace(/-[0-9a-f]+$/, ""), residentMb(node.process.pid ?? -1)]));
      const start = resident();
      // Each shopper checks out one order after another (its cart holds one order's line at a time).
      await Promise.all(
        users.map(async (user, u) => {
          for (let i = ORDERS + u; i < ORDERS + MEMORY_ORDERS; i += users.length) await order(i, user);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const end = resident();
      console.log(`\n${MEMORY_ORDERS} more checkouts, ${users.length} shoppers at once: resident memory (MB)\n\n| node | before | after | per 1,000 orders |\n|---|---|---|---|`);
      for (const [node, before] of start) {
        const after = end.get(node) ?? NaN;
        console.log(`| ${node} | ${before} | ${after} | ${(((after - before) * 1000) / MEMORY_ORDERS).toFixed(1)} |`);
      }
    }
  } finally {
    await watcher.close();
    await cluster.stop();
    await nats.stop();
    // BENCH_KEEP_DATA=1 leaves the nodes' datafiles for bench/store-memory.ts.
    if (process.env.BENCH_KEEP_DATA === "1") console.log(`\nDatafiles kept in ${dataRoot}`);
    else fs.rmSync(dataRoot, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
