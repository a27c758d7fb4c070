/**
 * What a benchmark runs against: the baseline servers (bench/baselines/*),
 * and the built platform, embedded in one process or as a cluster over a
 * private NATS, started through the test harness so both use one code path.
 */
import path from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { freePort } from "../../test/support/ports";
import { startNatsServer, type NatsServer } from "../../test/support/nats-server";
import { startCluster, startNode, type ClusterNode } from "../../test/support/cluster";
import { waitUntil } from "../../test/support/wait-until";

export interface Target {
  url: string;
  /** Server processes to sample CPU from, by label. */
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/** Production settings: file-backed NeDB, no debug logging, secrets set, auth limits out of the way. */
export const PLATFORM_ENV: Record<string, string> = {
  NODE_ENV: "production",
  LOG_LEVEL: "warn",
  JWT_SECRET: randomBytes(32).toString("hex"),
  ADMIN_EMAIL: "bench-admin@shop.local",
  ADMIN_PASSWORD: "bench-admin-password",
  AUTH_RATE_LIMIT: "100000000",
  METRICS_PORT: "0",
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
  const service = await forkScript("bare-broker.ts", { ROLE: "service", TRANSPORTER: nats.url, NAMESPACE: namespace });
  const gateway = await forkScript("bare-broker.ts", { ROLE: "gateway", PORT: String(port), TRANSPORTER: nats.url, NAMESPACE: namespace });
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
  await waitUntil(async () => (await fetch(`${url}/api/health/ready`)).status === 200, { description: `${url} to be ready`, timeoutMs: 60_000, intervalMs: 200 });
}

/** Every service in one process, no transporter: what `npm run dev` runs. */
export async function embeddedPlatform(env: Record<string, string> = {}): Promise<Target & { node: ClusterNode }> {
  const node = await startNode({ services: [], transporter: "", namespace: "bench", name: "embedded", env: { ...PLATFORM_ENV, SERVICES: "", ...env } });
  await ready(node.url);
  return { url: node.url, node, pids: { platform: node.process.pid! }, stop: async () => void (await node.stop()) };
}

/** One node per group over NATS; `groups` as SERVICES lists, the first holding `api`. */
export async function clusterPlatform(nats: NatsServer, groups: string[][], env: Record<string, string> = {}): Promise<Target> {
  const cluster = await startCluster({
    transporter: nats.url,
    env: { ...PLATFORM_ENV, ...env },
    readyPath: "/api/health/ready",
    nodes: groups.map((services) => ({ services, name: services.join("_") })),
  });
  return {
    url: cluster.gatewayUrl,
    pids: Object.fromEntries(cluster.nodes.map((n) => [n.services.join("+"), n.process.pid!])),
    stop: () => cluster.stop(),
  };
}

export { startNatsServer };
