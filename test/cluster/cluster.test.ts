/**
 * The built platform as a cluster: separate node processes, each with its own
 * SERVICES, find each other over a private NATS and serve REST through the
 * gateway. Needs `npm run build` first (npm test does it).
 */
import path from "node:path";
import { spawn } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startCluster, BUILT_PROJECT, type Cluster } from "../support/cluster";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { platformServiceNames } from "../../services/api/platform-services";

// Every service of the build has a node, so the gateway can be ready.
const ALL = platformServiceNames(path.join(BUILT_PROJECT.root, "services"));
const BACKEND = ALL.filter((name) => name !== "api" && name !== "users");

describe("a cluster of three node processes over NATS", () => {
  let nats: NatsServer;
  let cluster: Cluster;

  beforeAll(async () => {
    nats = await startNatsServer();
    cluster = await startCluster({
      transporter: nats.url,
      readyPath: "/api/health/ready",
      nodes: [{ services: ["api"], name: "gateway" }, { services: ["users"], name: "accounts" }, ...(BACKEND.length ? [{ services: BACKEND, name: "backend" }] : [])],
    });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
  });

  it("forms one cluster: each node sees the services of the others", async () => {
    const nodes = cluster.broker.registry.getNodeList({ onlyAvailable: true, withServices: true }) as unknown as { id: string; services: { name: string }[] }[];
    const hosted = new Map(nodes.map((n) => [n.id, n.services.map((s) => s.name).filter((s) => !s.startsWith("$"))]));
    for (const node of cluster.nodes) expect(hosted.get(node.nodeID)?.sort()).toEqual([...node.services].sort());
  });

  it("is ready once every service has a node", async () => {
    const res = await api(`${cluster.gatewayUrl}/api`).get("/health/ready");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ready: true, transporter: "connected", missing: [] });
  });

  it("serves a REST call through the gateway to a service on another node and its database", async () => {
    const http = api(`${cluster.gatewayUrl}/api`);
    const email = `cluster-${Date.now()}@example.com`;
    const registered = await http.post<{ token: string; user: { id: string } }>(
      "/auth/register",
      { email, password: "correct horse battery", name: "Cluster Test" },
      { headers: { "X-Request-ID": "cluster-req-1" } },
    );
    expect(registered.status).toBe(201);
    expect(registered.headers.get("x-request-id")).toBe("cluster-req-1");

    // The token is resolved by `users` on its own node, then `users.me` reads the stored user.
    const me = await http.get<{ id: string; email: string }>("/users/me", { token: registered.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: registered.body.user.id, email });
  });

  it("reports a NeDB-backed service running on two nodes, and recovers when one leaves", async () => {
    const http = api(`${cluster.gatewayUrl}/api`);
    // Not waiting for readiness: this node makes the gateway unready on purpose.
    const second = await cluster.addNode({ services: ["users"], name: "accounts-2" }, { readyPath: "/api/health/live" });
    await waitUntil(async () => (await http.get("/health/ready")).status === 503, { description: "readiness to notice the split", timeoutMs: 10_000 });
    const split = await http.get("/health/ready");
    expect(split.body).toMatchObject({ ready: false, splitStorage: ["users"] });
    expect(second.logs()).toMatch(/runs on 2 nodes .* with NeDB files/);

    await second.stop();
    await waitUntil(async () => (await http.get("/health/ready")).status === 200, { description: "readiness to recover", timeoutMs: 15_000 });
  });

  it("lets `npm run repl` join and run nodes, services and call", async () => {
    const repl = spawn(process.execPath, [path.join(BUILT_PROJECT.root, path.dirname(BUILT_PROJECT.configFile), "scripts/repl.js")], {
      cwd: BUILT_PROJECT.root,
      env: { ...process.env, TRANSPORTER: nats.url, NAMESPACE: cluster.namespace, METRICS_PORT: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    // The REPL colours its output; the checks read the plain text.
    const plain = (chunk: Buffer) => stripVTControlCharacters(chunk.toString());
    repl.stdout.on("data", (chunk: Buffer) => (output += plain(chunk)));
    repl.stderr.on("data", (chunk: Buffer) => (output += plain(chunk)));
    try {
      await waitUntil(() => output.includes("mol $"), { description: "the REPL prompt", timeoutMs: 20_000 });
      // Wait until the REPL node has discovered the others before asking.
      await waitUntil(
        () => {
          output = "";
          repl.stdin.write("services\n");
          return new Promise((r) => setTimeout(() => r(output.includes("users") && output.includes("api")), 300));
        },
        { description: "the REPL to list the cluster's services", timeoutMs: 15_000 },
      );
      output = "";
      repl.stdin.write("nodes\n");
      const running = cluster.nodes.filter((n) => n.exitInfo() === undefined);
      await waitUntil(() => running.every((n) => output.includes(n.nodeID)), { description: "nodes to list every node", timeoutMs: 10_000 });
      output = "";
      repl.stdin.write("call api.live\n");
      await waitUntil(() => output.includes("status: 'ok'"), { description: "call api.live to answer", timeoutMs: 10_000 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nREPL output:\n${output}`);
    } finally {
      repl.stdin.end();
      repl.kill("SIGTERM");
    }
  });
});
