/**
 * npm run bench: the platform's routes against bare baselines measured in
 * the same run, over loopback, each for a bounded time. Absolute numbers on
 * these shared 2-core machines drift by tens of percent between runs, so
 * every scenario is also reported as a ratio to B1 and B3 of this run.
 *
 *   npm run bench                        # everything but the 100k catalog
 *   BENCH_ONLY=B1,B3,S1c npm run bench   # some scenarios
 *   BENCH_LARGE=1 npm run bench          # adds S1/S2 on 100,000 products
 *   BENCH_DURATION=5 BENCH_REPEATS=3 BENCH_CONNECTIONS=10
 *
 * Results: a table here, and bench/results/<time>.json and .md.
 */
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { measure, type LoadSpec, type Measurement } from "./lib/load";
import { bareBroker, bareBrokerOverNats, clusterPlatform, embeddedPlatform, rawHttp, startNatsServer, type Target } from "./lib/processes";
import { platformServiceNames } from "../lib/platform-services";
import { catalogIds, cartShoppers, type Shopper } from "./lib/fixtures";

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 5);
const REPEATS = Number(env.BENCH_REPEATS ?? 3);
const WARMUP = Number(env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 10);
const ONLY = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",")) : undefined;
const LARGE = env.BENCH_LARGE === "1";
const ROOT = path.join(__dirname, "..");

interface Scenario {
  name: string;
  what: string;
  start(): Promise<Target>;
  load(target: Target): Promise<Partial<LoadSpec>>;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** Every service of the build, in groups: the gateway alone, the catalog, the rest. */
function clusterGroups(): string[][] {
  const all = platformServiceNames(path.join(ROOT, "dist", "services"));
  const catalog = ["products", "cart"].filter((s) => all.includes(s));
  const rest = all.filter((s) => s !== "api" && !catalog.includes(s));
  return [["api"], catalog, rest].filter((g) => g.length > 0);
}

function productById(ids: string[]): (t: Target) => Promise<Partial<LoadSpec>> {
  return async () => ({ setupRequest: (req) => ({ ...req, path: `/api/products/${pick(ids)}` }) });
}

async function productList(t: Target): Promise<Partial<LoadSpec>> {
  const categories = (await (await fetch(`${t.url}/api/categories`)).json()) as { name: string }[];
  return { setupRequest: (req) => ({ ...req, path: `/api/products?category=${encodeURIComponent(pick(categories).name)}&sort=price` }) };
}

function cartLoad(kind: "get" | "set", shoppers: () => Shopper[]): (t: Target) => Promise<Partial<LoadSpec>> {
  return async () => ({
    setupRequest: (req) => {
      const shopper = pick(shoppers());
      const headers = { ...req.headers, authorization: `Bearer ${shopper.token}`, "content-type": "application/json" };
      if (kind === "get") return { ...req, method: "GET", path: "/api/cart", headers };
      return { ...req, method: "PATCH", path: `/api/cart/items/${shopper.productId}`, headers, body: JSON.stringify({ quantity: 1 + Math.floor(Math.random() * 3) }) };
    },
  });
}

function scenarios(nats: Awaited<ReturnType<typeof startNatsServer>>): Scenario[] {
  let ids: string[] = [];
  let shoppers: Shopper[] = [];
  const withIds = async (t: Target) => {
    ids = await catalogIds(t.url);
    return t;
  };
  const withShoppers = async (t: Target) => {
    shoppers = await cartShoppers(t.url, 200);
    return t;
  };
  const list: Scenario[] = [
    { name: "B1", what: "raw node:http JSON", start: rawHttp, load: async () => ({}) },
    { name: "B2", what: "bare moleculer-web -> trivial action, same broker", start: bareBroker, load: async () => ({}) },
    { name: "B3", what: "bare moleculer-web -> trivial action over NATS", start: () => bareBrokerOverNats(nats), load: async () => ({}) },
    { name: "S1e", what: "GET /api/products/:id, embedded", start: () => embeddedPlatform().then(withIds), load: (t) => productById(ids)(t) },
    { name: "S1c", what: "GET /api/products/:id, cluster over NATS", start: () => clusterPlatform(nats, clusterGroups()).then(withIds), load: (t) => productById(ids)(t) },
    { name: "S2e", what: "GET /api/products?category&sort=price, embedded", start: () => embeddedPlatform(), load: productList },
    { name: "S2c", what: "GET /api/products?category&sort=price, cluster", start: () => clusterPlatform(nats, clusterGroups()), load: productList },
    { name: "S3get", what: "GET /api/cart, 200 shoppers, cluster", start: () => clusterPlatform(nats, clusterGroups()).then(withShoppers), load: cartLoad("get", () => shoppers) },
    { name: "S3set", what: "PATCH /api/cart/items/:id, 200 shoppers, cluster", start: () => clusterPlatform(nats, clusterGroups()).then(withShoppers), load: cartLoad("set", () => shoppers) },
  ];
  if (LARGE) {
    const large = { SEED: "false" };
    list.push(
      { name: "S1e-100k", what: "GET /api/products/:id, 100k products, embedded", start: () => largeCatalog(large).then(withIds), load: (t) => productById(ids)(t) },
      { name: "S2e-100k", what: "GET /api/products?category&sort=price, 100k, embedded", start: () => largeCatalog(large), load: productList },
    );
  }
  return list.filter((s) => !ONLY || ONLY.has(s.name));
}

/** An embedded platform whose DATA_DIR was filled with 100,000 generated products first. */
async function largeCatalog(extraEnv: Record<string, string>): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "bench-100k-"));
  execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "generate-catalog.ts"), "--count", "100000"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", DATA_DIR: dataDir },
    stdio: "inherit",
  });
  const target = await embeddedPlatform({ ...extraEnv, DATA_DIR: dataDir });
  return { ...target, stop: async () => { await target.stop(); fs.rmSync(dataDir, { recursive: true, force: true }); } };
}

function ratio(value: number, base: number | undefined): string {
  return base ? (value / base).toFixed(2) : "-";
}

function report(results: { scenario: Scenario; m: Measurement }[]): string {
  const b1 = results.find((r) => r.scenario.name === "B1")?.m.rps;
  const b3 = results.find((r) => r.scenario.name === "B3")?.m.rps;
  const header = "| scenario | what | req/s | p50 ms | p99 ms | errors | non-2xx | vs B1 | vs B3 | CPU (cores) |\n|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map(({ scenario, m }) => {
    const cpu = Object.entries(m.cpu).map(([k, v]) => `${k} ${v}`).join(", ");
    return `| ${scenario.name} | ${scenario.what} | ${Math.round(m.rps)} | ${m.p50} | ${m.p99} | ${m.errors} | ${m.non2xx} | ${ratio(m.rps, b1)} | ${ratio(m.rps, b3)} | ${cpu} |`;
  });
  return [header, ...rows].join("\n");
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, "dist", "moleculer.config.js"))) throw new Error("Build first: npm run build");
  const nats = await startNatsServer();
  const results: { scenario: Scenario; m: Measurement }[] = [];
  try {
    for (const scenario of scenarios(nats)) {
      process.stdout.write(`${scenario.name}: ${scenario.what} ... `);
      const target = await scenario.start();
      try {
        const spec = { url: target.url, connections: CONNECTIONS, duration: DURATION, warmup: WARMUP, repeats: REPEATS, ...(await scenario.load(target)) };
        const m = await measure(spec, target.pids);
        results.push({ scenario, m });
        console.log(`${Math.round(m.rps)} req/s, p99 ${m.p99} ms, errors ${m.errors}, non-2xx ${m.non2xx}`);
      } finally {
        await target.stop();
      }
    }
  } finally {
    await nats.stop();
  }
  const table = report(results);
  console.log(`\n${table}\n`);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const settings = { duration: DURATION, repeats: REPEATS, warmup: WARMUP, connections: CONNECTIONS, node: process.version };
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", `${stamp}.json`), JSON.stringify({ settings, results: results.map(({ scenario, m }) => ({ name: scenario.name, what: scenario.what, ...m })) }, null, 2));
  fs.writeFileSync(path.join(__dirname, "results", `${stamp}.md`), `# Benchmark ${stamp}\n\nSettings: ${JSON.stringify(settings)}\n\n${table}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
