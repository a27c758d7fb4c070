/**
 * Measures Moleculer's balancer strategies on this machine: a private NATS,
 * N products nodes and one gateway (processes of the build), and autocannon
 * (as a library, loopback only, bounded duration) reading the catalog through
 * the gateway. The strategy is the gateway's (the caller picks the callee),
 * so only the gateway restarts between strategies. Two scenarios:
 *
 *   equal   N identical products nodes
 *   noisy   the same, but products node 2 shares its CPU with a busy loop
 *           (taskset pins it and the loop to the same core): a slow node
 *
 * Prints one table row per scenario and strategy: throughput, latency
 * percentiles, errors, and the share of calls each products node served.
 * docs/operations.md records a run and the choice it led to.
 *
 *   npm run build && tsx scripts/measure-balancers.ts [--duration 10] [--connections 16] [--nodes 2]
 *     [--strategies RoundRobin,Latency,CpuUsage] [--scenarios equal,noisy] [--build-dir dist-elsewhere]
 *
 * Products run on NeDB with the catalog cache off (each node seeds the same
 * demo catalog and does real work per read): a list query is the same on
 * every node, so split storage does not matter for reads of the list.
 */
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { answersWith, binaryExists, repoBuild, startNats, startNode, startProcess, waitFor, type Build, type Child } from "./cluster-processes";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; pipelining?: number }) => Promise<AutocannonResult>;
// autocannon has no type declarations: the little used here.
const autocannon = require("autocannon") as Autocannon;

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "16" },
    nodes: { type: "string", default: "2" },
    strategies: { type: "string", default: "RoundRobin,Latency,CpuUsage" },
    scenarios: { type: "string", default: "equal,noisy" },
    "build-dir": { type: "string" },
  },
});

const quiet = () => {};
const log = (text: string) => void process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const running: Child[] = [];
const PATH_READ = "/api/products?pageSize=20";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

function buildAt(dir: string | undefined): Build {
  if (!dir) return repoBuild();
  const root = path.resolve(dir);
  return { cwd: root, configFile: path.join(root, "moleculer.config.js"), serviceDir: path.join(root, "services") };
}

/** products.list calls a node has served, from its Prometheus exposition (either reporter's label spelling). */
async function servedLists(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("moleculer_request_total{") && line.includes('action="products.list"') && line.includes('type="local"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

interface Row {
  scenario: string;
  strategy: string;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  shares: string;
}

async function measure(build: Build, env: NodeJS.ProcessEnv, strategy: string, productMetrics: number[]): Promise<Omit<Row, "scenario">> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const gateway = startNode(build, "gateway", { ...env, SERVICES: "api", BALANCER_STRATEGY: strategy, PORT: String(port), METRICS_PORT: String(metricsPort) }, { onLine: quiet });
  running.push(gateway);
  try {
    const url = `http://127.0.0.1:${port}${PATH_READ}`;
    await waitFor(`the gateway (${strategy}) to route reads`, () => answersWith(url, 200), 60_000, gateway);
    // Latency and CpuUsage learn from samples: give them traffic to learn from before measuring.
    await autocannon({ url, connections: Number(flags.connections), duration: Number(flags.warmup) });
    const before = await Promise.all(productMetrics.map(servedLists));
    const result = await autocannon({ url, connections: Number(flags.connections), duration: Number(flags.duration), pipelining: 1 });
    const after = await Promise.all(productMetrics.map(servedLists));
    const served = after.map((n, i) => n - before[i]);
    const total = served.reduce((a, b) => a + b, 0) || 1;
    return {
      strategy,
      rps: Math.round(result.requests.average),
      p50: result.latency.p50,
      p99: result.latency.p99,
      failed: result.errors + result.timeouts + result.non2xx,
      shares: served.map((n) => `${Math.round((100 * n) / total)}%`).join(" / "),
    };
  } finally {
    await gateway.stop();
  }
}

async function scenario(name: string, build: Build, natsUrl: string, strategies: string[]): Promise<Row[]> {
  const nodes = Number(flags.nodes);
  const pin = name === "noisy";
  if (pin && (!binaryExists("taskset") || os.availableParallelism() < 2)) {
    log(`skipping scenario "noisy": it needs taskset and at least 2 CPUs`);
    return [];
  }
  const namespace = `measure-${name}-${process.pid}`;
  const env = { TRANSPORTER: natsUrl, NAMESPACE: namespace, NODE_ENV: "development", LOG_LEVEL: "warn", CATALOG_CACHE: "false", RESERVATION_SWEEP_INTERVAL: "0" };
  const productMetrics: number[] = [];
  const started: Child[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const metricsPort = await freePort();
      productMetrics.push(metricsPort);
      const nodeEnv = { ...env, SERVICES: "products", NODE_ID: `products-${i + 1}-${name}`, METRICS_PORT: String(metricsPort), DATA_DIR: path.join(os.tmpdir(), `measure-balancers-${process.pid}-${name}-${i}`) };
      // In the noisy scenario the last node shares core 1 with a busy loop; the others stay on core 0.
      const cpu = pin ? (i === nodes - 1 ? "1" : "0") : undefined;
      const node = startNode(build, `products-${i + 1}`, nodeEnv, { onLine: quiet, launcher: cpu ? ["taskset", "-c", cpu] : undefined });
      started.push(node);
      running.push(node);
      await waitFor(`products node ${i + 1}`, () => servedLists(metricsPort).then(() => true), 60_000, node);
    }
    if (pin) {
      const noise = startProcess("noise", "taskset", ["-c", "1", process.execPath, "-e", "for (;;) {}"], { onLine: quiet });
      started.push(noise);
      running.push(noise);
    }
    const rows: Row[] = [];
    for (const strategy of strategies) {
      const row = { scenario: name, ...(await measure(build, env, strategy, productMetrics)) };
      log(`${row.scenario.padEnd(6)} ${row.strategy.padEnd(10)} ${String(row.rps).padStart(6)} req/s  p50 ${String(row.p50).padStart(4)} ms  p99 ${String(row.p99).padStart(4)} ms  failed ${row.failed}  served ${row.shares}`);
      rows.push(row);
      await sleep(500);
    }
    return rows;
  } finally {
    await Promise.all(started.map((child) => child.stop("SIGTERM", 10_000)));
  }
}

async function main(): Promise<void> {
  const build = buildAt(flags["build-dir"]);
  if (!binaryExists("nats-server")) throw new Error("nats-server is needed (apt-get install nats-server)");
  const dir = path.join(os.tmpdir(), `measure-balancers-${process.pid}-nats`);
  const natsPort = await freePort();
  running.push(await startNats(natsPort, dir, { onLine: quiet }));
  const natsUrl = `nats://127.0.0.1:${natsPort}`;
  const strategies = (flags.strategies as string).split(",");
  log(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), node ${process.version}, ${flags.nodes} products nodes, ${flags.connections} connections, ${flags.duration} s per run, GET ${PATH_READ}`);
  const rows: Row[] = [];
  for (const name of (flags.scenarios as string).split(",")) rows.push(...(await scenario(name, build, natsUrl, strategies)));
  log("\n| scenario | strategy | req/s | p50 ms | p99 ms | failed | served per products node |\n|---|---|---|---|---|---|---|");
  for (const r of rows) log(`| ${r.scenario} | ${r.strategy} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.failed} | ${r.shares} |`);
}

async function stopAll(): Promise<void> {
  await Promise.all(running.map((child) => child.stop("SIGTERM", 10_000)));
}

process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
main()
  .then(stopAll)
  .catch(async (err: Error) => {
    console.error(err.message);
    await stopAll();
    process.exit(1);
  });
