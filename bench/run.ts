/**
 * npm run bench: the platform's routes against bare baselines measured in
 * the same run, over loopback, each for a bounded time. Absolute numbers on
 * these shared 2-core machines drift by tens of percent between runs, so
 * every scenario is also reported as a ratio to B1 and B3 of this run.
 *
 *   npm run bench                        # everything but the 100k catalog and S4-lat
 *   BENCH_ONLY=B1,B3,S1c npm run bench   # some scenarios
 *   BENCH_LARGE=1 npm run bench          # adds S1/S2 on 100,000 products
 *   BENCH_DURATION=5 BENCH_REPEATS=3 BENCH_CONNECTIONS=10 BENCH_SHOPPERS=32
 *   BENCH_BUILD_DIR=/tmp/build tsx bench/run.ts   # a build of one's own, not dist/
 *
 * Results: a table here, and bench/results/<time>.json and .md. A failed
 * consistency check after S4/S5 fails the run (exit code 1).
 */
import { SEARCH_MIX } from "./lib/search-queries";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { measure, residentMb, type LoadSpec, type Measurement } from "./lib/load";
import { bareBroker, bareBrokerOverNats, BENCH_BUILD, BUILT_SERVICES_DIR, clusterPlatform, embeddedPlatform, PROFILE_DIR, rawHttp, startNatsServer, type NodeGroup, type Target } from "./lib/processes";
import { builtGroups } from "../scripts/cluster-processes";
import { catalogIds, cartShoppers, type Shopper } from "./lib/fixtures";
import { checkConsistency, registerUsers, stockSnapshot, stockUp, type Consistency, type StockSnapshot } from "./lib/shop";
import { checkoutShoppers, mixedShoppers, type ShopperRun } from "./lib/shoppers";

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 5);
const REPEATS = Number(env.BENCH_REPEATS ?? 3);
const WARMUP = Number(env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 10);
/** Concurrent shoppers of S4 and S5 (one connection each). */
const SHOPPERS = Number(env.BENCH_SHOPPERS ?? 32);
const ONLY = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",")) : undefined;
const LARGE = env.BENCH_LARGE === "1";
/** S6, the soak: the S5 mix at a fixed rate (req/s), for this many periods of this many seconds. */
const SOAK_RATE = Number(env.BENCH_SOAK_RATE ?? 1000);
const SOAK_MINUTES = Number(env.BENCH_SOAK_MINUTES ?? 10);
const SOAK_PERIOD_SECONDS = Number(env.BENCH_SOAK_PERIOD ?? 60);
const ROOT = path.join(__dirname, "..");
/** Stock of every product before a checkout scenario: no order of the run is refused for stock. */
const CHECKOUT_STOCK = 1_000_000;

interface Scenario {
  name: string;
  what: string;
  start(): Promise<Target>;
  load(target: Target): Promise<Partial<LoadSpec>>;
  /** After the load: the state must add up, or the run fails. */
  check?(target: Target): Promise<Consistency>;
  /** Measured only when BENCH_ONLY names it. */
  optional?: boolean;
  /** Report every measured run as one row of a series (the soak), not the median. */
  series?: boolean;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** The node groups of `npm run cluster` (gateway, accounts, catalog, checkout, fulfilment) this build has. */
function clusterGroups(): NodeGroup[] {
  return builtGroups({ cwd: BENCH_BUILD.root, configFile: path.join(BENCH_BUILD.root, BENCH_BUILD.configFile), serviceDir: BUILT_SERVICES_DIR });
}

function productById(ids: string[]): (t: Target) => Promise<Partial<LoadSpec>> {
  return async () => ({ setupRequest: (req) => ({ ...req, path: `/api/products/${pick(ids)}` }) });
}

async function productList(t: Target): Promise<Partial<LoadSpec>> {
  const categories = (await (await fetch(`${t.url}/api/categories`)).json()) as { name: string }[];
  return { setupRequest: (req) => ({ ...req, path: `/api/products?category=${encodeURIComponent(pick(categories).name)}&sort=price` }) };
}

/** S2q: a query of the mix per request, so neither the catalog's cache nor a warm path answers them all. */
async function searchLoad(): Promise<Partial<LoadSpec>> {
  return { setupRequest: (req) => ({ ...req, path: `/api/products?q=${encodeURIComponent(pick(SEARCH_MIX))}` }) };
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

/**
 * S4 and S5: every product stocked up, `users` registered shoppers, the
 * stock read before the load for the consistency check after it.
 */
function shopperScenario(nats: Awaited<ReturnType<typeof startNatsServer>>, name: string, what: string, users: number, build: (users: Awaited<ReturnType<typeof registerUsers>>, ids: string[], t: Target) => Promise<ShopperRun>, env: Record<string, string> = {}): Scenario {
  let run: ShopperRun | undefined;
  let before: StockSnapshot | undefined;
  return {
    name,
    what,
    start: () => clusterPlatform(nats, clusterGroups(), env),
    async load(t) {
      const ids = await stockUp(t.url, CHECKOUT_STOCK);
      const shoppers = await registerUsers(t.url, users);
      before = await stockSnapshot(t.broker!, ids);
      run = await build(shoppers, ids, t);
      return { requests: run.requests, hooks: run.hooks, rankBy: run.rankBy, connections: SHOPPERS };
    },
    check: (t) => checkConsistency(t.broker!, before!, run!.answeredPaid),
  };
}

/** Checkout with the simulated processor answering at once: what the platform itself costs. */
const NO_PROCESSOR_WAIT = { PAYMENT_GATEWAY_LATENCY_MS: "0" };

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
  const cluster = () => clusterPlatform(nats, clusterGroups());
  const checkoutLoad = async (users: Awaited<ReturnType<typeof registerUsers>>, productIds: string[]) => checkoutShoppers(users, productIds);
  const mixedLoad = async (users: Awaited<ReturnType<typeof registerUsers>>, productIds: string[], t: Target) => {
    const categories = ((await (await fetch(`${t.url}/api/categories`)).json()) as { name: string }[]).map((c) => c.name);
    return mixedShoppers(users, productIds, categories);
  };
  const list: Scenario[] = [
    { name: "B1", what: "raw node:http JSON", start: rawHttp, load: async () => ({}) },
    { name: "B2", what: "bare moleculer-web -> trivial action, same broker", start: bareBroker, load: async () => ({}) },
    { name: "B3", what: "bare moleculer-web -> trivial action over NATS", start: () => bareBrokerOverNats(nats), load: async () => ({}) },
    { name: "S1e", what: "GET /api/products/:id, embedded", start: () => embeddedPlatform().then(withIds), load: (t) => productById(ids)(t) },
    { name: "S1c", what: "GET /api/products/:id, cluster over NATS", start: () => cluster().then(withIds), load: (t) => productById(ids)(t) },
    { name: "S2e", what: "GET /api/products?category&sort=price, embedded", start: () => embeddedPlatform(), load: productList },
    { name: "S2c", what: "GET /api/products?category&sort=price, cluster", start: cluster, load: productList },
    { name: "S3get", what: "GET /api/cart, 200 shoppers, cluster", start: () => cluster().then(withShoppers), load: cartLoad("get", () => shoppers) },
    { name: "S3set", what: "PATCH /api/cart/items/:id, 200 shoppers, cluster", start: () => cluster().then(withShoppers), load: cartLoad("set", () => shoppers) },
    shopperScenario(nats, "S4", `add to cart + checkout, ${SHOPPERS} shoppers, cluster, processor latency 0`, SHOPPERS * 5, checkoutLoad, NO_PROCESSOR_WAIT),
    {
      ...shopperScenario(nats, "S4-lat", `add to cart + checkout, ${SHOPPERS} shoppers, cluster, processor latency 50 ms`, SHOPPERS * 5, checkoutLoad),
      optional: true,
    },
    shopperScenario(nats, "S5", `mixed shoppers (browse 10, product 5, cart 3, add 2, checkout 1), ${SHOPPERS} at once of 200 users, cluster`, 200, mixedLoad, NO_PROCESSOR_WAIT),
    soakScenario(shopperScenario(nats, "S6", `soak: the S5 mix at ${SOAK_RATE} req/s, ${SOAK_MINUTES} x ${SOAK_PERIOD_SECONDS} s, cluster`, 200, mixedLoad, NO_PROCESSOR_WAIT)),
  ];
  if (LARGE) {
    const large = { SEED: "false" };
    list.push(
      { name: "S1e-100k", what: "GET /api/products/:id, 100k products, embedded", start: () => largeCatalog(large).then(withIds), load: (t) => productById(ids)(t) },
      { name: "S1c-100k", what: "GET /api/products/:id, 100k products, cluster", start: () => largeCluster(nats, large).then(withIds), load: (t) => productById(ids)(t) },
      { name: "S2e-100k", what: "GET /api/products?category&sort=price, 100k, embedded", start: () => largeCatalog(large), load: productList },
      { name: "S2c-100k", what: "GET /api/products?category&sort=price, 100k, cluster", start: () => largeCluster(nats, large), load: productList },
      {
        name: "S2q",
        what: "GET /api/products?q=… (ranked search, the relevance queries and more), 100k, cluster, catalog cache off",
        start: () => largeCluster(nats, { ...large, CATALOG_CACHE: "false" }),
        load: searchLoad,
      },
    );
  }
  return list.filter((s) => (ONLY ? ONLY.has(s.name) : !s.optional));
}

/** A fresh DATA_DIR holding 100,000 generated products (removingDir deletes it with its platform). */
function largeCatalogDir(): string {
  const dataDir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "bench-100k-"));
  execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "generate-catalog.ts"), "--count", "100000"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", DATA_DIR: dataDir },
    stdio: "inherit",
  });
  return dataDir;
}

function removingDir(target: Target, dataDir: string): Target {
  return { ...target, stop: async () => { await target.stop(); fs.rmSync(dataDir, { recursive: true, force: true }); } };
}

/** An embedded platform on the 100,000 products. */
async function largeCatalog(extraEnv: Record<string, string>): Promise<Target> {
  const dataDir = largeCatalogDir();
  return removingDir(await embeddedPlatform({ ...extraEnv, DATA_DIR: dataDir }), dataDir);
}

/** A cluster whose catalog node (the one running `products`) starts on the 100,000 products. */
async function largeCluster(nats: Awaited<ReturnType<typeof startNatsServer>>, extraEnv: Record<string, string>): Promise<Target> {
  const dataDir = largeCatalogDir();
  const groups = clusterGroups().map((group) => (group.services.includes("products") ? { ...group, env: { DATA_DIR: dataDir } } : group));
  return removingDir(await clusterPlatform(nats, groups, extraEnv), dataDir);
}

/**
 * S6 (only with BENCH_ONLY): S5's sessions at a fixed overall rate, one
 * measured run per period with no warm-up, each run adding every node's
 * resident memory at its end, so the report is a series: does p99 stay
 * flat, does memory grow faster than the stored orders explain.
 */
function soakScenario(s5: Scenario): Scenario {
  return {
    ...s5,
    optional: true,
    series: true,
    async load(t) {
      const spec = await s5.load(t);
      const hooks = spec.hooks;
      return {
        ...spec,
        overallRate: SOAK_RATE,
        duration: SOAK_PERIOD_SECONDS,
        repeats: SOAK_MINUTES,
        warmup: 0,
        hooks: {
          before: (phase) => hooks?.before?.(phase),
          after: (phase, run, seconds) => ({
            ...(hooks?.after?.(phase, run, seconds) ?? {}),
            ...Object.fromEntries(Object.entries(t.pids).map(([label, pid]) => [`rss_${label}`, residentMb(pid)])),
          }),
        },
      };
    },
  };
}

/** The soak's runs, one row per period: rate, latency, orders, and each node's resident memory (MB) at its end. */
function seriesReport({ scenario, m, consistency }: Result): string[] {
  const labels = Object.keys(m.runs[0]?.extra ?? {}).filter((k) => k.startsWith("rss_")).map((k) => k.slice(4));
  const rows = m.runs.map((run, i) => {
    const x = run.extra ?? {};
    return `| ${i + 1} | ${Math.round(run.rps)} | ${run.p99} | ${x.checkoutP99 ?? "-"} | ${x.paidPerSec ?? "-"} | ${run.errors} | ${run.non2xx} | ${labels.map((l) => x[`rss_${l}`]).join(" | ")} |`;
  });
  const second = m.runs[1]?.p99;
  const last = m.runs.at(-1)?.p99;
  const flat = second !== undefined && last !== undefined && last <= second * 1.2;
  const clean = m.runs.every((r) => r.errors === 0 && r.non2xx === 0);
  return [
    "",
    `${scenario.name}, one row per ${SOAK_PERIOD_SECONDS} s (resident memory in MB at the end of each period):`,
    "",
    `| period | req/s | p99 ms | checkout p99 ms | paid orders/s | errors | non-2xx | ${labels.map((l) => `${l} MB`).join(" | ")} |`,
    `|---|---|---|---|---|---|---|${labels.map(() => "---|").join("")}`,
    ...rows,
    "",
    `Soak targets: no error ${clean ? "met" : "MISSED"}; p99 of the last period within 20% of the second's: ${last} vs ${second} ms (${flat ? "met" : "MISSED"}); consistency ${consistency?.ok ? "OK" : "FAILED"}.`,
  ];
}

function ratio(value: number, base: number | undefined): string {
  return base ? (value / base).toFixed(2) : "-";
}

interface Result {
  scenario: Scenario;
  m: Measurement;
  consistency?: Consistency;
}

function report(results: Result[]): string {
  const b1 = results.find((r) => r.scenario.name === "B1")?.m.rps;
  const b3 = results.find((r) => r.scenario.name === "B3")?.m.rps;
  const header =
    "| scenario | what | req/s | p50 ms | p99 ms | errors | non-2xx | vs B1 | vs B3 | server CPU µs/req | CPU (cores) |\n|---|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map(({ scenario, m }) => {
    const cpu = Object.entries(m.cpu).map(([k, v]) => `${k} ${v}`).join(", ");
    return `| ${scenario.name} | ${scenario.what} | ${Math.round(m.rps)} | ${m.p50} | ${m.p99} | ${m.errors} | ${m.non2xx} | ${ratio(m.rps, b1)} | ${ratio(m.rps, b3)} | ${cpuPerRequest(m)} | ${cpu} |`;
  });
  const lines = [header, ...rows];
  const shopping = results.filter((r) => r.m.extra);
  if (shopping.length > 0) {
    lines.push(
      "",
      "Checkouts (median run; p50/p99 of the checkout requests alone; paid = answered 201 with status paid):",
      "",
      "| scenario | paid orders/s | checkout p50 ms | checkout p99 ms | checkouts not 201 (all runs) | add-to-cart p50 / p99 ms | server CPU ms per paid order | consistency |",
      "|---|---|---|---|---|---|---|---|",
      ...shopping.map(({ scenario, m, consistency }) => {
        const x = m.extra!;
        const notPaid = m.runs.reduce((n, r) => n + (r.extra?.checkoutsNot201 ?? 0), 0);
        const add = x.addP50 !== undefined ? `${x.addP50} / ${x.addP99}` : "-";
        return `| ${scenario.name} | ${x.paidPerSec} | ${x.checkoutP50} | ${x.checkoutP99} | ${notPaid} | ${add} | ${cpuPerOrder(m)} | ${consistencyText(consistency)} |`;
      }),
    );
  }
  for (const result of results.filter((r) => r.scenario.series)) lines.push(...seriesReport(result));
  const targets = targetLines(results, b3);
  if (targets.length > 0) lines.push("", "Targets of the issue:", "", ...targets.map((t) => `- ${t}`));
  return lines.join("\n");
}

/**
 * CPU of every server process per request answered in the measured runs:
 * less at the mercy of other load on the machine than req/s.
 */
function cpuPerRequest(m: Measurement): string {
  const requests = m.runs.reduce((n, r) => n + r.requests, 0);
  const seconds = Object.values(m.cpu).reduce((a, b) => a + b, 0) * m.wallSeconds;
  return requests > 0 ? Math.round((1e6 * seconds) / requests).toString() : "-";
}

/** CPU of every server process over the measured runs, per order paid in them (the whole session's requests included). */
function cpuPerOrder(m: Measurement): string {
  const paid = m.runs.reduce((n, r) => n + (r.extra?.paid ?? 0), 0);
  const seconds = Object.values(m.cpu).reduce((a, b) => a + b, 0) * m.wallSeconds;
  return paid > 0 ? (1000 * seconds / paid).toFixed(1) : "-";
}

function consistencyText(c: Consistency | undefined): string {
  if (!c) return "-";
  const facts = `${c.paidOrders} paid, ${c.failedOrders} failed, ${c.pendingOrders} pending; ${c.capturedPayments} captured (${c.capturedAmount} = ${c.paidTotal} cents); stock -${c.stockDecrease} = ${c.unitsSold} sold; ${c.reservedLeft} reserved left`;
  return c.ok ? `OK: ${facts}` : `**FAILED**: ${c.problems.slice(0, 3).join("; ")} (${facts})`;
}

function targetLines(results: Result[], b3: number | undefined): string[] {
  const lines: string[] = [];
  const get = (name: string) => results.find((r) => r.scenario.name === name)?.m;
  const mark = (ok: boolean) => (ok ? "met" : "MISSED");
  const s1c = get("S1c");
  if (s1c && b3) lines.push(`S1c >= 0.9 of B3: ${ratio(s1c.rps, b3)} (${mark(s1c.rps / b3 >= 0.9)})`);
  const s4m = get("S4");
  const s4 = s4m?.extra;
  if (s4m && s4) {
    // Issue 22's targets (the second round's were 300/s).
    const cpu = cpuPerOrder(s4m);
    lines.push(`S4 >= 500 paid orders/s with checkout p99 < 100 ms at ${SHOPPERS} shoppers: ${s4.paidPerSec}/s, p99 ${s4.checkoutP99} ms (${mark(s4.paidPerSec >= 500 && s4.checkoutP99 < 100)})`);
    lines.push(`S4 server CPU per paid order <= 2.5 ms: ${cpu} ms (${mark(cpu !== "-" && Number(cpu) <= 2.5)})`);
  }
  const s2q = get("S2q");
  if (s2q && b3) lines.push(`S2q >= 0.5 of B3: ${ratio(s2q.rps, b3)} (${mark(s2q.rps / b3 >= 0.5)})`);
  const s5 = get("S5");
  if (s5 && b3) lines.push(`S5 >= 0.5 of B3: ${ratio(s5.rps, b3)} (${mark(s5.rps / b3 >= 0.5)})`);
  return lines;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(BENCH_BUILD.root, BENCH_BUILD.configFile))) throw new Error(`Build first: npm run build (looked in ${BENCH_BUILD.root})`);
  const started = Date.now();
  const nats = await startNatsServer();
  const results: Result[] = [];
  try {
    for (const scenario of scenarios(nats)) {
      process.stdout.write(`${scenario.name}: ${scenario.what} ... `);
      const target = await scenario.start();
      try {
        const spec = { url: target.url, connections: CONNECTIONS, duration: DURATION, warmup: WARMUP, repeats: REPEATS, ...(await scenario.load(target)) };
        const m = await measure(spec, target.pids);
        const result: Result = { scenario, m };
        results.push(result);
        const x = m.extra ? `, ${m.extra.paidPerSec} paid orders/s, checkout p99 ${m.extra.checkoutP99} ms` : "";
        console.log(`${Math.round(m.rps)} req/s, p99 ${m.p99} ms, errors ${m.errors}, non-2xx ${m.non2xx}${x}`);
        if (scenario.check) {
          result.consistency = await scenario.check(target);
          console.log(`  consistency: ${consistencyText(result.consistency)}`);
          if (!result.consistency.ok) for (const problem of result.consistency.problems) console.error(`  !! ${problem}`);
        }
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
  const settings = { duration: DURATION, repeats: REPEATS, warmup: WARMUP, connections: CONNECTIONS, shoppers: SHOPPERS, node: process.version, wallSeconds: Math.round((Date.now() - started) / 1000) };
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  const json = results.map(({ scenario, m, consistency }) => ({ name: scenario.name, what: scenario.what, ...m, ...(consistency ? { consistency } : {}) }));
  fs.writeFileSync(path.join(__dirname, "results", `${stamp}.json`), JSON.stringify({ settings, results: json }, null, 2));
  fs.writeFileSync(path.join(__dirname, "results", `${stamp}.md`), `# Benchmark ${stamp}\n\nSettings: ${JSON.stringify(settings)}\n\n${table}\n`);
  console.log(`Results: bench/results/${stamp}.md (${settings.wallSeconds} s)`);
  if (env.BENCH_PROFILE) console.log(`CPU profiles: ${PROFILE_DIR} (tsx bench/profile-summary.ts <file>)`);
  const broken = results.filter((r) => r.consistency && !r.consistency.ok);
  if (broken.length > 0) {
    console.error(`\n!!! CONSISTENCY CHECK FAILED after ${broken.map((r) => r.scenario.name).join(", ")}: stock, payments and orders do not agree (see above).\n`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
