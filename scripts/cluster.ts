/**
 * `npm run cluster`: the platform as a local cluster on this machine. Builds,
 * starts a private nats-server (JetStream) and redis-server when their
 * binaries exist, on ports of their own (not the usual 4222/6379, which may
 * be shared servers), then one node process per service group of the build
 * (gateway, accounts, catalog, checkout, fulfilment: groups whose services are
 * not written yet are skipped). Ctrl-C or SIGTERM stops the nodes gracefully,
 * then the servers. docs/operations.md describes it, and how to add nodes.
 *
 *   npm run cluster [-- --port 3000 --metrics-port 3030 --nats-port 14222 --redis-port 16379 --data-dir data/cluster --skip-build]
 *
 * TRANSPORTER or REDIS_URL set in the environment are used instead of the
 * private servers; MONGO_URI (unset: NeDB files under --data-dir) and the
 * other settings of README.md pass through to every node.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  answersWith,
  binaryExists,
  builtGroups,
  portInUse,
  repoBuild,
  REPO_ROOT,
  startNats,
  startNode,
  startRedis,
  type Build,
  type Child,
} from "./cluster-processes";

const log = (text: string) => void process.stdout.write(`[cluster] ${text}\n`);

const { values: flags } = parseArgs({
  options: {
    port: { type: "string", default: "3000" },
    "metrics-port": { type: "string", default: "3030" },
    "nats-port": { type: "string", default: "14222" },
    "redis-port": { type: "string", default: "16379" },
    "data-dir": { type: "string", default: "data/cluster" },
    /** Where the built code is (the tests pass their own build); implies nothing about building. */
    "build-dir": { type: "string" },
    "skip-build": { type: "boolean", default: false },
  },
});

function port(name: keyof typeof flags): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`--${name} must be a port number, got ${flags[name]}`);
  return value;
}

function buildAt(dir: string | undefined): Build {
  if (!dir) return repoBuild();
  const root = path.resolve(dir);
  return { cwd: root, configFile: path.join(root, "moleculer.config.js"), serviceDir: path.join(root, "services") };
}

const servers: Child[] = [];
const nodes: Child[] = [];
let stopping = false;

/** The gateway first (no new requests), then every other node at once, then the servers they use. */
async function stopAll(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping the nodes (each drains its in-flight requests first)`);
  const [gateway, ...rest] = nodes;
  await gateway?.stop();
  await Promise.all(rest.map((node) => node.stop()));
  await Promise.all(servers.map((server) => server.stop("SIGTERM", 10_000)));
  log("stopped");
}

async function privateNats(natsPort: number, dataDir: string): Promise<string> {
  if (process.env.TRANSPORTER) return process.env.TRANSPORTER;
  if (!binaryExists("nats-server")) {
    // Moleculer's TCP transporter needs no server (UDP discovery); durable events need JetStream.
    log("nats-server not found: the nodes use Moleculer's TCP transporter (install nats-server for JetStream)");
    return "TCP";
  }
  if (await portInUse(natsPort)) throw new Error(`port ${natsPort} is taken: pass --nats-port, or TRANSPORTER=nats://... to use that server`);
  servers.push(await startNats(natsPort, path.join(dataDir, "nats")));
  return `nats://127.0.0.1:${natsPort}`;
}

async function privateRedis(redisPort: number, dataDir: string): Promise<string | undefined> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (!binaryExists("redis-server")) {
    log("redis-server not found: memory cacher and in-process carts (cart runs on one node)");
    return undefined;
  }
  if (await portInUse(redisPort)) throw new Error(`port ${redisPort} is taken: pass --redis-port, or REDIS_URL=redis://... to use that server`);
  servers.push(await startRedis(redisPort, path.join(dataDir, "redis")));
  return `redis://127.0.0.1:${redisPort}`;
}

async function main(): Promise<void> {
  const httpPort = port("port");
  const metricsPort = port("metrics-port");
  const dataDir = path.resolve(REPO_ROOT, flags["data-dir"] as string);
  process.on("SIGINT", () => void stopAll("SIGINT").then(() => process.exit(0)));
  process.on("SIGTERM", () => void stopAll("SIGTERM").then(() => process.exit(0)));

  if (!flags["skip-build"]) {
    log("npm run build");
    const build = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (build.status !== 0) throw new Error("npm run build failed");
  }
  const build = buildAt(flags["build-dir"]);
  const groups = builtGroups(build);
  if (groups.length === 0) throw new Error(`no service is built in ${build.serviceDir}`);

  const transporter = await privateNats(port("nats-port"), dataDir);
  const redisUrl = await privateRedis(port("redis-port"), dataDir);
  const storage = process.env.MONGO_URI ? "MongoDB (MONGO_URI)" : `NeDB files under ${dataDir}`;

  groups.forEach((group, i) => {
    const node = startNode(build, group.name, {
      SERVICES: group.services.join(","),
      TRANSPORTER: transporter,
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      NODE_ID: `${group.name}-${os.hostname()}`,
      PORT: String(httpPort),
      METRICS_PORT: String(metricsPort + i),
      DATA_DIR: path.join(dataDir, group.name),
    });
    nodes.push(node);
    void node.exited.then((code) => !stopping && log(`${group.name} exited (code ${code}); the other nodes keep running`));
  });

  const gatewayUrl = `http://127.0.0.1:${httpPort}`;
  if (groups.some((group) => group.services.includes("api"))) {
    const deadline = Date.now() + 90_000;
    while (!stopping && !(await answersWith(`${gatewayUrl}/api/health/ready`, 200).catch(() => false))) {
      if (Date.now() > deadline) {
        log(`the gateway is not ready after 90 s: see ${gatewayUrl}/api/health/ready`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  if (stopping) return;
  log(`ready: ${gatewayUrl}/api (transporter ${transporter}, ${redisUrl ? `Redis ${redisUrl}` : "no Redis"}, ${storage})`);
  groups.forEach((group, i) => log(`  ${group.name.padEnd(10)} SERVICES=${group.services.join(",").padEnd(22)} metrics http://127.0.0.1:${metricsPort + i}/metrics`));
  const shared = `TRANSPORTER=${transporter}${redisUrl ? ` REDIS_URL=${redisUrl}` : ""} METRICS_PORT=${metricsPort + groups.length}`;
  if (process.env.MONGO_URI) log(`add a node: SERVICES=products MONGO_URI=... ${shared} npm start`);
  // A NeDB-backed service keeps its data in its process: a second node would split it.
  else log(`add a node: SERVICES=cart ${shared} npm start   (services on NeDB run on one node: set MONGO_URI to scale them)`);
  log(`the REPL:   TRANSPORTER=${transporter} npm run repl      (Ctrl-C here stops the cluster)`);
}

main().catch(async (err: Error) => {
  console.error(`[cluster] ${err.message}`);
  await stopAll("failed to start");
  process.exit(1);
});
