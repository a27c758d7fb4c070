/**
 * What a benchmark runs against: the baseline servers (bench/baselines/*),
 * and the built platform, embedded in one process or as a cluster over a
 * private NATS, started through the test harness so both use one code path.
 */
import os from "node:os";
import path from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { freePort } from "../../test/support/ports";
import { startNatsServer as startPrivateNats, type NatsServer } from "../../test/support/nats-server";
import { BUILT_PROJECT, startCluster, startNode, type BuiltProject, type ClusterNode } from "../../test/support/cluster";
import { waitUntil } from "../../test/support/wait-until";

/**
 * The build the platform runs from: `npm run build`'s dist/ (or the harness's
 * TEST_BUILD_DIR), or the output of `tsc -p tsconfig.build.json --outDir DIR`
 * named by BENCH_BUILD_DIR, so a benchmark can run without rewriting the
 * dist/ other people's tests use. DIR needs a link to node_modules
 * (`ln -s $PWD/node_modules DIR/node_modules`).
 */
export const BENCH_BUILD: BuiltProject = process.env.BENCH_BUILD_DIR
  ? { root: path.resolve(process.env.BENCH_BUILD_DIR), configFile: "moleculer.config.js", serviceDir: "services" }
  : BUILT_PROJECT;

/** The built services directory (absolute). */
export const BUILT_SERVICES_DIR = path.join(BENCH_BUILD.root, BENCH_BUILD.serviceDir);

export interface Target {
  url: string;
  /** Server processes to sample CPU from, by label. */
  pids: Record<string, number>;
  /** A cluster's in-bench broker (no services), to read state from the services. */
  broker?: ServiceBroker;
  stop(): Promise<void>;
}

/** Production settings: file-backed NeDB, no debug logging, secrets set, auth limits out of the way. */
/** The run's NATS user (startNatsServer). */
const BENCH_NATS = { user: "bench", password: randomBytes(16).toString("hex") };

export const PLATFORM_ENV: Record<string, string> = {
  NODE_ENV: "production",
  LOG_LEVEL: "warn",
  JWT_SECRET: randomBytes(32).toString("hex"),
  ADMIN_EMAIL: "bench-admin@shop.local",
  ADMIN_PASSWORD: "bench-admin-password",
  AUTH_RATE_LIMIT: "100000000",
  METRICS_PORT: "0",
  // Production refuses a NATS without credentials: the run's private nats-server has a user (startNatsServer).
  NATS_USER: BENCH_NATS.user,
  NATS_PASSWORD: BENCH_NATS.password,
  // The simulated processor (its latency set per scenario): production refuses it unless told it moves no money.
  SIMULATED_PAYMENTS_MOVE_NO_MONEY: "true",
};

function forkScript(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, "..", "baselines", script), [], {
    env: { ...process.env, ...env },
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function rawHttp(): Promise<Target> {
  const port = await freePort();
  const child = await forkScript("raw-http.ts", { PORT: String(port) });
  return { url: `http://127.0.0.1:${port}/`, pids: { server: child.pid! }, stop: () => stopChild(child) };
}

export async function bareBroker(): Promise<Target> {
  const port = await freePort();
  const child = await forkScript("bare-broker.ts", { PORT: String(port), ROLE: "both" });
  return { url: `http://127.0.0.1:${port}/api/trivial`, pids: { broker: child.pid! }, stop: () => stopChild(child) };
}

export async function bareBrokerOverNats(nats: NatsServer): Promise<Target> {
  const port = await freePort();
  const namespace = `bench-${randomBytes(3).toString("hex")}`;
  const service = await forkScript("bare-broker.ts", { ROLE: "service", TRANSPORTER: natsUrl(nats), NAMESPACE: namespace });
  const gateway = await forkScript("bare-broker.ts", { ROLE: "gateway", PORT: String(port), TRANSPORTER: natsUrl(nats), NAMESPACE: namespace });
  return {
    url: `http://127.0.0.1:${port}/api/trivial`,
    pids: { gateway: gateway.pid!, service: service.pid! },
    stop: async () => {
      await stopChild(gateway);
      await stopChild(service);
    },
  };
}

async function ready(url: string): Promise<void> {
  await waitUntil(async () => (await fetch(`${url}/api/health/ready`)).status === 200, { description: `${url} to be ready`, timeoutMs: 180_000, intervalMs: 200 });
}

/** Every service in one process, no transporter: what `npm run dev` runs. */
export async function embeddedPlatform(env: Record<string, string> = {}): Promise<Target & { node: ClusterNode }> {
  const node = await startNode({ project: BENCH_BUILD, services: [], transporter: "", namespace: "bench", name: "embedded", env: { ...PLATFORM_ENV, SERVICES: "", ...profiling("embedded"), ...env } });
  await ready(node.url);
  return { url: node.url, node, pids: { platform: node.process.pid! }, stop: async () => void (await node.stop()) };
}

export interface NodeGroup {
  /** Label of the node (CPU column, node ID prefix). */
  name: string;
  /** Its SERVICES. */
  services: string[];
  /** Its own environment on top of the platform's (e.g. a DATA_DIR filled beforehand). */
  env?: Record<string, string>;
}

/**
 * BENCH_PROFILE=gateway,checkout (node group names, `embedded`, or `all`):
 * those nodes run with `--cpu-prof`, writing a .cpuprofile into
 * BENCH_PROFILE_DIR (default <tmp>/moleculer-shop-profiles/) when they stop;
 * `tsx bench/profile-summary.ts <file>` sums it up.
 */
const PROFILED = new Set((process.env.BENCH_PROFILE ?? "").split(",").filter(Boolean));
export const PROFILE_DIR = path.resolve(process.env.BENCH_PROFILE_DIR ?? path.join(os.tmpdir(), "moleculer-shop-profiles"));

function profiling(group: string): Record<string, string> {
  if (!PROFILED.has(group) && !PROFILED.has("all")) return {};
  const options = [process.env.NODE_OPTIONS, "--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${group}-${Date.now()}.cpuprofile`];
  return { NODE_OPTIONS: options.filter(Boolean).join(" ") };
}

/** One node per group over NATS, one of them running `api`. */
export async function clusterPlatform(nats: NatsServer, groups: NodeGroup[], env: Record<string, string> = {}): Promise<Target> {
  const cluster = await startCluster({
    project: BENCH_BUILD,
    transporter: natsUrl(nats),
    env: { ...PLATFORM_ENV, ...env },
    readyPath: "/api/health/ready",
    // A catalog node on 100k products loads them and builds its search index before it is ready.
    timeoutMs: 300_000,
    nodes: groups.map(({ name, services, env: own }) => ({ services, name, env: { ...own, ...profiling(name) } })),
  });
  return {
    url: cluster.gatewayUrl,
    pids: Object.fromEntries(cluster.nodes.map((n, i) => [groups[i].name, n.process.pid!])),
    broker: cluster.broker,
    stop: () => cluster.stop(),
  };
}

/**
 * The run's private NATS, with a user: production nodes refuse an open one
 * (platform/config.ts). Baselines and the bench's own broker connect with the
 * user in the URL (natsUrl), nodes also get NATS_USER and NATS_PASSWORD (their
 * JetStream connections take those); the check is made once per connection,
 * not per message.
 */

export function startNatsServer(): Promise<NatsServer> {
  return startPrivateNats(BENCH_NATS);
}

/** `nats`'s URL with the run's user and password in it. */
export function natsUrl(nats: NatsServer): string {
  return nats.url.replace("nats://", `nats://${BENCH_NATS.user}:${BENCH_NATS.password}@`);
}
