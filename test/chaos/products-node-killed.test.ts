/**
 * Chaos scenario 1 (issue #10): one of two `products` nodes is killed with
 * SIGKILL during 15 s of catalog reads, and no read fails.
 *
 * Two products processes of the built project share one MongoDB (the
 * emulator, or MONGO_URI's); a gateway process serves the reads. Half the
 * reads are GET /api/products/:id, half GET /api/products?category=..., over
 * the seeded catalog. The catalog cache is off (CATALOG_CACHE=false: neither
 * products' cacher nor the gateway's cache of catalog answers), so every read
 * travels to a products node as a cache miss does; with it on, most reads
 * would never meet the kill. A SIGKILLed node says nothing to the cluster: the
 * gateway learns of it only when its heartbeats stop (HEARTBEAT_TIMEOUT, 3 s),
 * rejects what it had sent there, and the retry policy of the products reads
 * sends those again to the node that is left. Until then new reads may still
 * go to the dead node; they wait, then take the same way.
 *
 * Asserted: every read answers 200 with the data asked for, both nodes served
 * reads before the kill, and the survivor alone after it. Reported: the p99
 * of the reads under way while the gateway still listed the dead node (from
 * the SIGKILL until its registry dropped the node), which is where the
 * failover shows: a read sent to the dead node waits until then.
 */
import { assertFreshBuild } from "../support/fresh-build";
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster";
import { startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { percentile, runLoad, type LoadResult } from "./support/load";
import { reportScenario } from "./support/chaos-report";

const LOAD_MS = 15_000;
const KILL_AT_MS = 5_000;
const READERS = 8;

interface Product {
  id: string;
  sku: string;
  category: string;
  price: number;
}

interface Page {
  rows: Product[];
  total: number;
}

type MetricValue = { labels: { action?: string; type?: string }; value: number };
type NodeView = { id: string; available: boolean };

describe("chaos 1: one of two products nodes killed during catalog reads", () => {
  let mongo: TestMongo;
  let nats: NatsServer;
  let cluster: Cluster;
  let products: Product[];
  let categories: Map<string, number>;

  /** The sum of `metric` over the products reads, as `node` counted them (its own metrics). */
  async function readsCounted(node: ClusterNode, metric: string, type?: "local"): Promise<number> {
    const metrics = await cluster.broker.call<{ values: MetricValue[] }[], object>("$node.metrics", { includes: metric }, { nodeID: node.nodeID, timeout: 5000 });
    return metrics
      .flatMap((m) => m.values)
      .filter((v) => (type === undefined || v.labels.type === type) && (v.labels.action === "products.get" || v.labels.action === "products.list"))
      .reduce((sum, v) => sum + v.value, 0);
  }
  /** The products reads `node` served itself. */
  const servedReads = (node: ClusterNode) => readsCounted(node, "moleculer.request.total", "local");

  beforeAll(async () => {
    assertFreshBuild();
    mongo = await startMongo();
    nats = await startNatsServer();
    cluster = await startCluster({
      transporter: nats.url,
      env: { MONGO_URI: mongo.uri, CATALOG_CACHE: "false", LOG_LEVEL: "warn", RESERVATION_SWEEP_INTERVAL: "0" },
      nodes: [
        // One of them seeds the shared collection; two seeding an empty collection at once would both insert.
        { services: ["products"], name: "products-a" },
        { services: ["products"], name: "products-b", env: { SEED: "false" } },
        { services: ["api"], name: "gateway" },
      ],
    });
    const http = api(`${cluster.gatewayUrl}/api`);
    // The gateway builds its routes shortly after it sees the products service.
    await waitUntil(async () => (await http.get("/products?pageSize=100")).status === 200, { description: "the catalog route", timeoutMs: 15_000 });
    const page = await http.get<Page>("/products?pageSize=100");
    products = page.body.rows;
    categories = new Map<string, number>();
    for (const product of products) categories.set(product.category, (categories.get(product.category) ?? 0) + 1);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
    await mongo?.stop();
  });

  it("fails no read while a products node dies, and reports the p99 of the reads that met the kill", async () => {
    const [victim, survivor] = cluster.nodes.filter((n) => n.services.includes("products"));
    expect(products.length).toBeGreaterThanOrEqual(10);
    const categoryNames = [...categories.keys()];
    const gateway = cluster.gatewayUrl;
    const gatewayNode = cluster.nodes.find((n) => n.services.includes("api")) as ClusterNode;
    let servedBeforeKill = { victim: 0, survivor: 0 };
    let killedAt = 0;
    let droppedAt = 0;
    /** Whether the gateway's registry still has the victim as an available node. */
    const gatewayListsVictim = async () => {
      const nodes = await cluster.broker.call<NodeView[], object>("$node.list", { onlyAvailable: false }, { nodeID: gatewayNode.nodeID, timeout: 2000 });
      return nodes.some((n) => n.id === victim.nodeID && n.available);
    };

    /** One read; a 200 with other data than asked for counts as a failure too (status 0, with the reason). */
    async function read(worker: number, n: number): Promise<number> {
      if ((worker + n) % 2 === 0) {
        const product = products[(worker * 7 + n) % products.length];
        const res = await fetch(`${gateway}/api/products/${product.id}`, { signal: AbortSignal.timeout(30_000) });
        const body = (await res.json()) as Product;
        if (res.status === 200 && (body.id !== product.id || body.sku !== product.sku)) throw new Error(`product ${product.id} answered ${JSON.stringify(body)}`);
        return res.status;
      }
      const category = categoryNames[(worker + n) % categoryNames.length];
      const res = await fetch(`${gateway}/api/products?category=${encodeURIComponent(category)}&pageSize=100`, { signal: AbortSignal.timeout(30_000) });
      const body = (await res.json()) as Page;
      if (res.status === 200 && (body.total !== categories.get(category) || body.rows.some((p) => p.category !== category))) {
        throw new Error(`category ${category} answered ${body.total} products, expected ${categories.get(category)}`);
      }
      return res.status;
    }

    const start = Date.now();
    const result: LoadResult = await runLoad({
      durationMs: LOAD_MS,
      concurrency: READERS,
      request: read,
      during: {
        atMs: KILL_AT_MS,
        run: async () => {
          servedBeforeKill = { victim: await servedReads(victim), survivor: await servedReads(survivor) };
          killedAt = Date.now();
          await victim.kill();
          // No heartbeat from it for HEARTBEAT_TIMEOUT (3 s), checked as often: the gateway drops it within ~7 s.
          await waitUntil(async () => !(await gatewayListsVictim()), { description: "the gateway to drop the killed node", timeoutMs: 15_000, intervalMs: 50 });
          droppedAt = Date.now();
        },
      },
    });
    const killAtMs = killedAt - start;
    const droppedAtMs = droppedAt - start;

    const failures = result.failures.map((o) => `${o.startedAt} ms: ${o.status} ${o.error ?? ""}`).slice(0, 10);
    expect(failures).toEqual([]);
    // Both nodes took reads before one died, or the kill would prove nothing.
    expect(servedBeforeKill.victim).toBeGreaterThan(0);
    expect(servedBeforeKill.survivor).toBeGreaterThan(0);
    expect(victim.exitInfo()).toMatchObject({ signal: "SIGKILL" });
    // Reads went on after the cluster noticed: the survivor served them.
    const afterWindow = result.outcomes.filter((o) => o.startedAt >= droppedAtMs + 1000);
    expect(afterWindow.length).toBeGreaterThan(0);
    const servedAfter = await servedReads(survivor);
    expect(servedAfter - servedBeforeKill.survivor).toBeGreaterThanOrEqual(afterWindow.length);

    // The failover: the gateway sent the reads the dead node held again, to the survivor.
    const retried = await readsCounted(gatewayNode, "moleculer.request.retry.attempts.total");
    expect(retried).toBeGreaterThan(0);

    // Under way at the SIGKILL or started before the gateway dropped the node.
    const inWindow = result.outcomes.filter((o) => o.startedAt + o.latencyMs >= killAtMs && o.startedAt < droppedAtMs);
    const p99Ms = Math.round(percentile(inWindow.map((o) => o.latencyMs), 0.99));
    const maxMs = Math.max(...inWindow.map((o) => o.latencyMs));
    reportScenario({
      scenario: "1 products node killed",
      requests: result.requests,
      failures: result.failures.length,
      p99Ms,
      dataChecks:
        `every read answered its product or category (${products.length} products, ${categoryNames.length} categories); ` +
        `gateway dropped the node ${droppedAtMs - killAtMs} ms after SIGKILL; ${inWindow.length} reads under way meanwhile (max ${maxMs} ms); ` +
        `${retried} retried to the survivor`,
    });
  }, 60_000);
});
