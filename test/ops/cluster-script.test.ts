/**
 * `npm run cluster` (scripts/cluster.ts) on ports of its own: it starts a
 * private NATS and Redis and one node per service group of the build, the
 * gateway becomes ready with every service, each node serves its metrics,
 * and SIGTERM stops all of it, servers included, with exit code 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { freePorts } from "../support/ports";
import { makeTempDir, removeTempDir } from "../support/temp-dirs";
import { waitUntil, withTimeout } from "../support/wait-until";
import { assertFreshBuild, platformNodes, testedBuild } from "./ops-support";

const ROOT = path.resolve(__dirname, "..", "..");

/** `count` consecutive free ports (the script numbers the groups' metrics ports from the first). */
async function consecutiveFreePorts(count: number): Promise<number> {
  const bind = (port: number) =>
    new Promise<net.Server | null>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(null));
      server.listen(port, "127.0.0.1", () => resolve(server));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const servers = await Promise.all(Array.from({ length: count }, (_, i) => bind(base + i)));
    await Promise.all(servers.map((server) => server && new Promise((resolve) => server.close(resolve))));
    if (servers.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

describe("npm run cluster", () => {
  let script: ChildProcess;
  let output = "";
  let dataDir: string;
  let ports: { http: number; metrics: number; nats: number; redis: number };
  const groups = platformNodes();

  beforeAll(async () => {
    assertFreshBuild();
    const project = testedBuild();
    dataDir = makeTempDir("cluster-script");
    const [http, nats, redis] = await freePorts(3);
    ports = { http, nats, redis, metrics: await consecutiveFreePorts(groups.length) };
    script = spawn(
      path.join(ROOT, "node_modules/.bin/tsx"),
      ["scripts/cluster.ts", "--skip-build", "--build-dir", path.join(project.root, path.dirname(project.configFile)),
        "--port", String(http), "--metrics-port", String(ports.metrics), "--nats-port", String(nats), "--redis-port", String(redis), "--data-dir", dataDir],
      // Its own process group: if the test fails hard, the whole cluster can still be killed at once.
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: "warn", MONGO_URI: "", TRANSPORTER: "", REDIS_URL: "" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    script.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    script.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(() => output.includes("[cluster] ready:"), {
      description: "the cluster to be ready",
      timeoutMs: 90_000,
      failFast: () => (script.exitCode !== null ? new Error(`cluster script exited (${script.exitCode}):\n${output}`) : undefined),
    });
  }, 120_000);

  afterAll(async () => {
    if (script?.pid && script.exitCode === null && script.signalCode === null) process.kill(-script.pid, "SIGKILL");
    if (dataDir) await removeTempDir(dataDir);
  });

  it("starts every group of the build, ready behind the gateway", async () => {
    const res = await fetch(`http://127.0.0.1:${ports.http}/api/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ready: true, transporter: "connected", splitStorage: [] });
    for (const [i, group] of groups.entries()) {
      expect({ group: group.name, line: output.includes(`${group.name}`) && output.includes(`http://127.0.0.1:${ports.metrics + i}/metrics`) }).toEqual({ group: group.name, line: true });
      expect((await fetch(`http://127.0.0.1:${ports.metrics + i}/metrics`)).status).toBe(200);
    }
    expect(output).toContain(`transporter nats://127.0.0.1:${ports.nats}`);
    expect(output).toContain(`Redis redis://127.0.0.1:${ports.redis}`);
  });

  it("stops the nodes and the servers on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => script.once("exit", (code) => resolve(code)));
    script.kill("SIGTERM");
    expect(await withTimeout(exited, 60_000, "the cluster script to exit")).toBe(0);
    expect(output).toContain("[cluster] stopped");
    const stillListening = [];
    for (const port of [ports.http, ports.nats, ports.redis, ...groups.map((_, i) => ports.metrics + i)]) if (await listening(port)) stillListening.push(port);
    expect(stillListening).toEqual([]);
  });
});
