/**
 * Removing a node loses no request: two products nodes (processes of the
 * built project, sharing one MongoDB) and a gateway on a private NATS serve a
 * steady stream of product reads, and one products node gets SIGTERM in the
 * middle of it. Every read must succeed: the leaving node first tells the
 * cluster it has no services (the gateway stops sending to it), then finishes
 * what it has in flight (`tracking`), then disconnects.
 *
 * The load is bounded (a few concurrent readers for a few seconds, loopback
 * only) and nothing here is timed: the only assertion is "no failures".
 */
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startMongo, type TestMongo } from "../support/mongo";
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster";
import { waitUntil } from "../support/wait-until";
import { productBody } from "../products/catalog-platform";
import { assertFreshBuild, testedBuild } from "./ops-support";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const READERS = 8;
const LOAD_MS = 5000;
/** SIGTERM this far into the load, so that reads run before, during and after the shutdown. */
const SIGTERM_AFTER_MS = 1500;

interface LoadResult {
  ok: number;
  failures: string[];
}

/** `READERS` loops reading `url` until `until` resolves; every non-200 answer or network error is a failure. */
async function readLoad(url: string, until: Promise<void>): Promise<LoadResult> {
  let done = false;
  void until.then(() => {
    done = true;
  });
  const result: LoadResult = { ok: 0, failures: [] };
  await Promise.all(
    Array.from({ length: READERS }, async () => {
      while (!done) {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
          const body = await res.text();
          if (res.status === 200) result.ok++;
          else result.failures.push(`${res.status} ${body.slice(0, 200)}`);
        } catch (err) {
          result.failures.push(`network: ${(err as Error).message}`);
        }
      }
    }),
  );
  return result;
}

type MetricValue = { labels: { action?: string; type?: string }; value: number };

/** The sum of `metric` over the products.get calls `node` counted (its own metric registry). */
async function countOf(cluster: Cluster, node: ClusterNode, metric: string, type?: "local" | "remote"): Promise<number> {
  const metrics = await cluster.broker.call<{ values: MetricValue[] }[], object>("$node.metrics", { includes: metric }, { nodeID: node.nodeID });
  return metrics
    .flatMap((m) => m.values)
    .filter((v) => v.labels.action === "products.get" && (type === undefined || v.labels.type === type))
    .reduce((sum, v) => sum + v.value, 0);
}

const servedReads = (cluster: Cluster, node: ClusterNode) => countOf(cluster, node, "moleculer.request.total", "local");
const retries = (cluster: Cluster, node: ClusterNode) => countOf(cluster, node, "moleculer.request.retry.attempts.total");

describe("SIGTERM to one of two products nodes under load", () => {
  let mongo: TestMongo;
  let nats: NatsServer;
  let cluster: Cluster;
  let productUrl: string;

  beforeAll(async () => {
    assertFreshBuild();
    mongo = await startMongo();
    nats = await startNatsServer();
    cluster = await startCluster({
      project: testedBuild(),
      transporter: nats.url,
      // No catalog cache: every read goes to a products node and its database, as a cache miss would.
      env: { MONGO_URI: mongo.uri, SEED: "false", CATALOG_CACHE: "false", LOG_LEVEL: "warn", RESERVATION_SWEEP_INTERVAL: "0" },
      nodes: [
        { services: ["products"], name: "products-a" },
        { services: ["products"], name: "products-b" },
        { services: ["api"], name: "gateway" },
      ],
    });
    const product = await cluster.broker.call<{ id: string }, Record<string, unknown>>("products.create", productBody());
    productUrl = `${cluster.gatewayUrl}/api/products/${product.id}`;
    // The gateway builds its routes shortly after it sees the products service.
    await waitUntil(async () => (await fetch(productUrl)).status === 200, { description: "the product route", timeoutMs: 10_000 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
    await mongo?.stop();
  });

  it("fails no request, and the node exits cleanly", async () => {
    const [leaving, staying] = cluster.nodes.filter((n) => n.services.includes("products"));
    let endLoad = () => {};
    const load = readLoad(productUrl, new Promise<void>((resolve) => (endLoad = resolve)));

    await sleep(SIGTERM_AFTER_MS);
    const servedBefore = { leaving: await servedReads(cluster, leaving), staying: await servedReads(cluster, staying) };
    const exited = leaving.stop("SIGTERM");
    await sleep(LOAD_MS - SIGTERM_AFTER_MS);
    endLoad();
    const result = await load;

    // Both nodes took reads before one left, or the test would prove nothing.
    expect({ leaving: servedBefore.leaving > 0, staying: servedBefore.staying > 0 }).toEqual({ leaving: true, staying: true });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    expect(await exited).toBe(0);
    expect(leaving.logs()).not.toMatch(/GracefulStopTimeout/);
    // Not even rescued by the gateway's retry of idempotent reads: the shutdown itself lost nothing.
    const gateway = cluster.nodes.find((n) => n.services.includes("api")) as ClusterNode;
    expect(await retries(cluster, gateway)).toBe(0);
  });
});
