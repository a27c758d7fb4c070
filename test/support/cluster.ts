import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { describeExit, spawnOwned, type ExitInfo, type OwnedProcess } from "./owned-process";
import type { LogBuffer } from "./log-buffer";
import { freePorts } from "./ports";
import { makeTempDir, removeTempDir } from "./temp-dirs";
import { errorMessage } from "./error-message";
import { waitUntil, withTimeout } from "./wait-until";

/**
 * End-to-end clusters: node processes of the BUILT project (`npm run build`
 * first), talking over a private NATS, driven over HTTP and watched by a
 * broker inside the test.
 */

/** Where node processes get their code from: paths relative to `root`. */
export interface BuiltProject {
  root: string;
  configFile: string;
  serviceDir: string;
}

/**
 * This repository's `npm run build` output, or the output of
 * `tsc -p tsconfig.build.json --outDir DIR` named by TEST_BUILD_DIR, so a
 * developer can run suites without rewriting the dist/ other suites are
 * using. DIR needs a link to this repository's node_modules
 * (`ln -s $PWD/node_modules DIR/node_modules`).
 */
export const BUILT_PROJECT: BuiltProject = process.env.TEST_BUILD_DIR
  ? { root: path.resolve(process.env.TEST_BUILD_DIR), configFile: "moleculer.config.js", serviceDir: "services" }
  : { root: path.resolve(__dirname, "..", ".."), configFile: "dist/moleculer.config.js", serviceDir: "dist/services" };

const DEFAULT_READY_PATH = "/api/health/live";
const DEFAULT_READY_TIMEOUT_MS = 45_000;
// Above the broker's graceful-shutdown wait for in-flight requests (10 s).
const STOP_GRACE_MS = 20_000;
const LOG_LINES_IN_ERRORS = 50;

// Inherited settings that would point a node at shared infrastructure
// (a developer's MONGO_URI, the machine's Redis) or override what the
// harness sets. Callers who want them pass them explicitly in `env`.
const DROPPED_FROM_INHERITED_ENV = [
  "MONGO_URI",
  "REDIS_URL",
  "TRANSPORTER",
  "NAMESPACE",
  "NODE_ID",
  "NODEID",
  "SERVICES",
  "SERVICEDIR",
  "PORT",
  "METRICS_PORT",
  "DATA_DIR",
  "MOLECULER_CONFIG",
];

export interface NodeOptions {
  /** Service names as for SERVICES: `dist/services/<name>.service.js`. */
  services: string[];
  /** Transporter URL, normally a private NATS's `url`. */
  transporter: string;
  namespace: string;
  /** Added last: overrides everything, including the harness's own settings. */
  env?: Record<string, string>;
  /** Readable prefix of the node ID; defaults to the services joined with "+". */
  name?: string;
  /** Defaults to BUILT_PROJECT; the harness's own tests point it at a fixture. */
  project?: BuiltProject;
  /** PORT and METRICS_PORT; free ones by default. */
  ports?: { port: number; metricsPort: number };
}

export interface ClusterNode {
  readonly nodeID: string;
  readonly services: readonly string[];
  /** HTTP port, served only when the node runs `api`. */
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly metricsPort: number;
  /** DATA_DIR of the node. */
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Everything the node printed (the last 5000 lines). */
  logs(): string;
  /** The same output, with `tail()` and `excerpt()` for failure messages. */
  readonly output: LogBuffer;
  /**
   * Sends `signal` (graceful shutdown by default), SIGKILL after 20 s;
   * resolves to the exit code (null when a signal ended it). A DATA_DIR the
   * harness made is removed.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, as a crash would; DATA_DIR is kept so a successor can reuse it. */
  kill(): Promise<void>;
  waitForExit(): Promise<ExitInfo>;
  /** undefined while the node runs. */
  exitInfo(): ExitInfo | undefined;
}

/** Spawns one node; it is not ready yet (see waitForNodesReady). */
export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  const project = options.project ?? BUILT_PROJECT;
  assertBuilt(project, options.services);
  // "_": node IDs go into transporter topics, where "+" is a wildcard for MQTT.
  const nodeID = `${options.name ?? options.services.join("_")}-${randomId()}`;
  const { port, metricsPort } = options.ports ?? (await twoFreePorts());
  const ownDataDir = options.env?.DATA_DIR === undefined;
  const dataDir = options.env?.DATA_DIR ?? makeTempDir(`data-${nodeID}`);

  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    SERVICEDIR: project.serviceDir,
    SERVICES: options.services.join(","),
    TRANSPORTER: options.transporter,
    NODE_ID: nodeID,
    NAMESPACE: options.namespace,
    NODE_ENV: "test",
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...options.env,
  };
  const runner = runnerScript();
  const proc: OwnedProcess = spawnOwned(process.execPath, [runner, "--config", project.configFile], {
    label: nodeID,
    cwd: project.root,
    env,
  });

  return {
    nodeID,
    services: [...options.services],
    port,
    url: `http://127.0.0.1:${port}`,
    metricsPort,
    dataDir,
    process: proc.child,
    logs: () => proc.output.text(),
    output: proc.output,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      const info = await proc.terminate(signal, STOP_GRACE_MS);
      if (ownDataDir) await removeTempDir(dataDir);
      return info.code;
    },
    async kill() {
      await proc.terminate("SIGKILL");
    },
    waitForExit: () => proc.exited,
    exitInfo: () => proc.exitInfo(),
  };
}

export interface ReadyOptions {
  /**
   * Registry names to wait for, anywhere in the cluster, when they differ
   * from the names in SERVICES. By default each node must show each of its
   * own services, so a new node is not "ready" because an older one is.
   */
  services?: string[];
  timeoutMs?: number;
  /**
   * Nodes running `api` that must see `nodes` too; defaults to the `api`
   * nodes among `nodes` (a cluster's addNode passes all of its own).
   */
  gateways?: ClusterNode[];
  /** Path each gateway must answer with 200, after it sees every service. */
  readyPath?: string;
}

/**
 * Resolves once `broker` sees every node of `nodes` with its services (a node
 * announces them only after they have all started), and every gateway sees
 * them as well and answers `readyPath` (default /api/health/live) with 200.
 * Rejects as soon as one of the nodes exits, or at the timeout, quoting the
 * logs of the nodes at fault.
 *
 * Not covered: moleculer-web rebuilds its REST aliases `debounceTime` (500 ms)
 * after the last service change it sees; a readyPath that only answers 200
 * once its routes are complete closes that gap.
 */
export async function waitForNodesReady(broker: ServiceBroker, nodes: ClusterNode[], options: ReadyOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;

  try {
    // Polled here rather than with broker.waitForServices, whose timer cannot
    // be cancelled: after an early exit it would keep jest alive until its timeout.
    await waitUntil(() => notReady(broker, nodes, options.services).length === 0, {
      description: `nodes ${nodes.map((n) => n.nodeID).join(", ")}`,
      timeoutMs,
      intervalMs: 100,
      failFast: () => exitedError(nodes),
    }).catch((err: unknown) => {
      if (err instanceof ReadinessError) throw err;
      const missing = notReady(broker, nodes, options.services);
      throw new ReadinessError(
        `not available after ${timeoutMs} ms: ${missing.map((m) => m.what).join(", ")}`,
        unique(missing.flatMap((m) => (m.node ? [m.node] : []))),
      );
    });
    const gateways = options.gateways ?? nodes.filter((n) => n.services.includes("api"));
    const readyPath = options.readyPath ?? DEFAULT_READY_PATH;
    await Promise.all(
      gateways.map((gateway) => {
        let unseen: string[] = [];
        let status: number | undefined;
        let body = "";
        // Its own view first: the in-test broker seeing a service says nothing of the gateway's registry.
        const ready = async () => {
          unseen = await unseenBy(broker, gateway, nodes, options.services);
          if (unseen.length > 0) return false;
          ({ status, body } = await answerOf(gateway, readyPath));
          return status === 200;
        };
        return waitUntil(ready, {
          description: `gateway ${gateway.nodeID}`,
          timeoutMs: Math.max(0, deadline - Date.now()),
          intervalMs: 200,
          failFast: () => exitedError(unique([...nodes, gateway])),
        }).catch((err: unknown) => {
          if (err instanceof ReadinessError) throw err;
          const why =
            unseen.length > 0
              ? `it does not see ${unseen.join(", ")}`
              : `GET ${readyPath} ${status === undefined ? `fails (${errorMessage(err)})` : `answers ${status}, not 200: ${body.slice(0, 1000)}`}`;
          throw new ReadinessError(`gateway ${gateway.nodeID} not ready after ${timeoutMs} ms: ${why}`, [gateway]);
        });
      }),
    );
  } catch (err) {
    if (!(err instanceof ReadinessError)) throw err;
    const culprits = err.culprits.length > 0 ? err.culprits : nodes;
    // A node's last words (the reason it died) are read after its exit is seen.
    await Promise.all(culprits.filter((n) => n.exitInfo() !== undefined).map((n) => n.waitForExit()));
    throw new Error(
      [
        `Cluster not ready: ${err.message}`,
        `Nodes: ${nodes.map(describeNode).join("; ")}`,
        ...culprits.map((n) => n.output.excerpt(LOG_LINES_IN_ERRORS)),
      ].join("\n"),
    );
  }
}

export interface ClusterNodeSpec {
  services: string[];
  env?: Record<string, string>;
  name?: string;
}

export interface ClusterOptions {
  /** Transporter URL, normally a private NATS's `url`. */
  transporter: string;
  nodes: ClusterNodeSpec[];
  /** Defaults to a fresh `test-<random>`, so clusters sharing a NATS never see each other. */
  namespace?: string;
  /** For every node, below each node's own `env`. */
  env?: Record<string, string>;
  /** Registry names to wait for; defaults to every service the nodes run. */
  waitForServices?: string[];
  timeoutMs?: number;
  /** Path each `api` node must answer with 200 before the cluster is ready; default /api/health/live. */
  readyPath?: string;
  /** Merged into the options of the in-test broker. */
  brokerOptions?: BrokerOptions;
  /** Defaults to BUILT_PROJECT. */
  project?: BuiltProject;
}

export interface Cluster {
  readonly namespace: string;
  readonly nodes: ClusterNode[];
  /** A broker without services in the test, on the cluster's transporter: call, emit, inspect the registry. */
  readonly broker: ServiceBroker;
  /** Base URL of the first node that runs `api`; throws if none does. */
  readonly gatewayUrl: string;
  /** Base URLs of every node that runs `api`. */
  readonly gatewayUrls: string[];
  /** Starts one more node in the cluster and waits until it is ready. */
  addNode(spec: ClusterNodeSpec, options?: ReadyOptions): Promise<ClusterNode>;
  /** Graceful shutdown (SIGTERM) of every node still running, then of the broker. */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const namespace = options.namespace ?? `test-${randomId()}`;
  const nodeOptions = (spec: ClusterNodeSpec, ports?: NodeOptions["ports"]): NodeOptions => ({
    services: spec.services,
    name: spec.name,
    transporter: options.transporter,
    namespace,
    env: { ...options.env, ...spec.env },
    project: options.project,
    ports,
  });

  // Checked before anything is spawned, so a missing build fails fast and leaves nothing behind.
  for (const spec of options.nodes) assertBuilt(options.project ?? BUILT_PROJECT, spec.services);
  const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;

  const broker = new ServiceBroker({
    namespace,
    nodeID: `test-runner-${randomId()}`,
    // A connection string, as the nodes get it; moleculer's types leave strings out but the runtime takes them.
    transporter: options.transporter as BrokerOptions["transporter"],
    logger: false,
    // Signals and process exit belong to the test runner, not to this broker.
    skipProcessEventRegistration: true,
    // As the nodes (platform/config.ts defaults): a dead node leaves the registry within seconds.
    heartbeatInterval: 1,
    heartbeatTimeout: 3,
    ...options.brokerOptions,
  });

  const nodes: ClusterNode[] = [];
  try {
    // Allocated together so that no two nodes are handed the same port.
    const ports = await freePorts(2 * options.nodes.length);
    const spawned = await Promise.allSettled(
      options.nodes.map((spec, i) => startNode(nodeOptions(spec, { port: ports[2 * i], metricsPort: ports[2 * i + 1] }))),
    );
    for (const result of spawned) if (result.status === "fulfilled") nodes.push(result.value);
    const failed = spawned.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    // The transporter retries a refused connection forever: bound it here.
    await withTimeout(broker.start(), timeoutMs, `the in-test broker to connect to ${options.transporter}`);
    await waitForNodesReady(broker, nodes, { services: options.waitForServices, timeoutMs, readyPath: options.readyPath });
  } catch (err) {
    await discard(broker, nodes);
    throw err;
  }

  const runningGateways = () => nodes.filter((n) => n.services.includes("api") && n.exitInfo() === undefined);
  const gatewayUrls = () => runningGateways().map((n) => n.url);

  return {
    namespace,
    nodes,
    broker,
    get gatewayUrl() {
      const [first] = gatewayUrls();
      if (first === undefined) throw new Error("No running node of this cluster runs the api service");
      return first;
    },
    get gatewayUrls() {
      return gatewayUrls();
    },
    async addNode(spec, ready) {
      const node = await startNode(nodeOptions(spec));
      nodes.push(node);
      try {
        await waitForNodesReady(broker, [node], { timeoutMs, readyPath: options.readyPath, gateways: runningGateways(), ...ready });
      } catch (err) {
        await node.stop("SIGKILL");
        throw err;
      }
      return node;
    },
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await broker.stop();
    },
  };
}

class ReadinessError extends Error {
  constructor(
    message: string,
    readonly culprits: ClusterNode[],
  ) {
    super(message);
  }
}

function exitedError(nodes: ClusterNode[]): ReadinessError | undefined {
  const exited = nodes.filter((n) => n.exitInfo() !== undefined);
  if (exited.length === 0) return undefined;
  return new ReadinessError(`${exited.map((n) => `node ${describeNode(n)}`).join(", ")} during startup`, exited);
}

/** The status and body: a readiness report says why it is not 200 (a failure message without it left a 45 s wait unexplained). */
async function answerOf(node: ClusterNode, urlPath: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${node.url}${urlPath}`, { signal: AbortSignal.timeout(2000) });
  return { status: response.status, body: await response.text() };
}

interface ServiceView {
  name: string;
  fullName: string;
  nodes?: string[];
}

/** What `gateway`'s own registry lacks of `nodes`' services (or of `registryNames`). */
async function unseenBy(broker: ServiceBroker, gateway: ClusterNode, nodes: ClusterNode[], registryNames?: string[]): Promise<string[]> {
  const view = await broker.call<ServiceView[], Record<string, boolean>>(
    "$node.services",
    { onlyAvailable: true, skipInternal: true, grouping: true },
    { nodeID: gateway.nodeID, timeout: 2000 },
  );
  const has = (name: string, nodeID?: string) =>
    view.some((s) => (s.name === name || s.fullName === name) && (nodeID === undefined || (s.nodes ?? []).includes(nodeID)));
  if (registryNames) return registryNames.filter((name) => !has(name));
  return nodes.flatMap((n) => n.services.filter((name) => !has(name, n.nodeID)).map((name) => `${name}@${n.nodeID}`));
}

interface Missing {
  what: string;
  node?: ClusterNode;
}

/** What the broker does not see yet: a node's services ("orders@orders-1a2b"), or a registry name. */
function notReady(broker: ServiceBroker, nodes: ClusterNode[], registryNames?: string[]): Missing[] {
  const available = broker.registry.getServiceList({ onlyAvailable: true });
  const namesOn = (nodeID?: string) =>
    new Set(available.filter((s) => nodeID === undefined || s.nodeID === nodeID).flatMap((s) => [s.name, s.fullName]));
  const missing: Missing[] = [];
  for (const node of nodes) {
    const seen = namesOn(node.nodeID);
    if (registryNames) {
      // Its $node service at least: the node is up, whatever its services are called.
      if (seen.size === 0) missing.push({ what: `node ${node.nodeID}`, node });
    } else {
      for (const name of node.services) if (!seen.has(name)) missing.push({ what: `${name}@${node.nodeID}`, node });
    }
  }
  const anywhere = namesOn();
  for (const name of registryNames ?? []) if (!anywhere.has(name)) missing.push({ what: name });
  return missing;
}

async function discard(broker: ServiceBroker, nodes: ClusterNode[]): Promise<void> {
  // Startup failed: no graceful shutdown to wait for.
  await Promise.allSettled(nodes.map((n) => n.stop("SIGKILL")));
  await broker.stop().catch(() => undefined);
}

function assertBuilt({ root, configFile, serviceDir }: BuiltProject, services: string[]): void {
  if (!fs.existsSync(path.join(root, configFile))) {
    throw new Error(`${configFile} is missing: run \`npm run build\` before starting a cluster (looked in ${root})`);
  }
  for (const name of services) {
    // Only plain names are checked; globs, "!name" and "npm:" are left to the runner.
    if (!/^[\w.-]+$/.test(name)) continue;
    const base = path.join(root, serviceDir, name);
    if (!fs.existsSync(base) && !fs.existsSync(`${base}.service.js`)) {
      throw new Error(`Service "${name}" is not built: neither ${serviceDir}/${name}.service.js nor ${serviceDir}/${name} exists (run \`npm run build\`)`);
    }
  }
}

/**
 * moleculer's package "exports" only has ".", so "moleculer/bin/..." cannot be
 * resolved; the runner sits next to the resolved main file instead.
 */
function runnerScript(): string {
  return path.join(path.dirname(require.resolve("moleculer")), "bin", "moleculer-runner.js");
}

async function twoFreePorts(): Promise<{ port: number; metricsPort: number }> {
  const [port, metricsPort] = await freePorts(2);
  return { port, metricsPort };
}

function inheritedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // MOL_* variables are merged into the broker options by the runner.
    if (DROPPED_FROM_INHERITED_ENV.includes(key) || key.startsWith("MOL_")) continue;
    env[key] = value;
  }
  return env;
}

function describeNode(node: ClusterNode): string {
  const exit = node.exitInfo();
  return `${node.nodeID} [${node.services.join(", ")}] ${exit ? describeExit(exit) : "running"}`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function randomId(): string {
  return randomBytes(4).toString("hex");
}
