import fs from "node:fs";
import path from "node:path";
import { BUILT_PROJECT, startCluster, startNode, type BuiltProject, type Cluster } from "../support/cluster";
import { api } from "../support/http";
import { startNatsServer, type NatsServer } from "../support/nats-server";

/**
 * For the tests that wait for a failure: long enough for the fixture's nodes to start and be seen on a
 * loaded 2-core runner (a start took over 2 s on CI, and over 3 s beside another suite), so the failure is
 * the one the test names and not a slow start. Those tests take this long.
 */
const NODES_UP_MS = 20_000;

// A stand-in project of plain JS services: these tests check the helper, not
// the platform's services, which are tested where they live.
const fixture: BuiltProject = {
  root: path.join(__dirname, "fixtures", "cluster-project"),
  configFile: "moleculer.config.js",
  serviceDir: "services",
};

const isAlive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("startNode", () => {
  it("refuses to spawn what was not built, and says how to build it", async () => {
    const spawned = startNode({ services: ["no-such-service"], transporter: "nats://127.0.0.1:1", namespace: "test-none" });
    const built = fs.existsSync(path.join(BUILT_PROJECT.root, BUILT_PROJECT.configFile));
    await expect(spawned).rejects.toThrow(built ? /no-such-service.*npm run build/ : /dist\/moleculer\.config\.js is missing.*npm run build/);
  });
});

describe("startCluster (on a fixture project)", () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterAll(async () => {
    await nats?.stop();
  });

  describe("a healthy cluster", () => {
    let cluster: Cluster;

    beforeAll(async () => {
      cluster = await startCluster({
        transporter: nats.url,
        project: fixture,
        nodes: [{ services: ["echo"] }, { services: ["api"], name: "gateway" }],
      });
    });

    afterAll(async () => {
      await cluster?.stop();
    });

    it("is reachable through the in-test broker and over HTTP once started", async () => {
      const [echoNode, gateway] = cluster.nodes;
      await expect(cluster.broker.call("echo.echo", { n: 1 })).resolves.toEqual({ params: { n: 1 }, nodeID: echoNode.nodeID, dataDir: echoNode.dataDir });
      expect(gateway.nodeID).toMatch(/^gateway-/);
      expect(cluster.gatewayUrl).toBe(`http://127.0.0.1:${gateway.port}`);
      await expect(api(cluster.gatewayUrl).get("/api/health/live")).resolves.toMatchObject({ status: 200, body: { live: true } });
      expect(echoNode.logs()).toMatch(/'echo' service is registered/);
      expect(cluster.namespace).toMatch(/^test-/);
    });

    it("adds a node, and stops one gracefully with exit code 0, removing its DATA_DIR", async () => {
      const extra = await cluster.addNode({ services: ["echo"], name: "extra" });
      expect(fs.existsSync(extra.dataDir)).toBe(true);
      expect(await extra.stop()).toBe(0);
      expect(fs.existsSync(extra.dataDir)).toBe(false);
    });

    it("kills a node with SIGKILL and keeps its DATA_DIR", async () => {
      const victim = await cluster.addNode({ services: ["echo"], name: "victim" });
      await victim.kill();
      expect(victim.exitInfo()).toEqual({ code: null, signal: "SIGKILL" });
      expect(fs.existsSync(victim.dataDir)).toBe(true);
      await victim.stop(); // already gone: only removes DATA_DIR
      expect(fs.existsSync(victim.dataDir)).toBe(false);
    });
  });

  it("fails fast when a node dies at startup, quoting its logs, and leaves no process behind", async () => {
    // "Fast": the start gives up on the node's exit, not at its own timeout. The error tells which
    // ("exited with code 1 during startup", not a timeout), with no stopwatch a loaded machine could fail.
    let error: unknown;
    let pids: (number | undefined)[] = [];
    const onSpawn = jest.spyOn(require("node:child_process"), "spawn");
    try {
      await startCluster({ transporter: nats.url, project: fixture, nodes: [{ services: ["echo"] }, { services: ["crash"] }], timeoutMs: 30_000 });
    } catch (err) {
      error = err;
    } finally {
      pids = onSpawn.mock.results.map((r) => (r.value as { pid?: number }).pid);
      onSpawn.mockRestore();
    }
    expect(String(error)).toMatch(/Cluster not ready: node crash-\w+ \[crash\] exited with code 1 during startup/);
    expect(String(error)).toMatch(/--- last \d+ lines of crash-\w+ ---[\s\S]*FIXTURE_FAILURE/);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it("waits for the gateway's ready path, and names the gateway and quotes its answer when it never answers 200", async () => {
    const attempt = startCluster({
      transporter: nats.url,
      project: fixture,
      nodes: [{ services: ["echo"] }, { services: ["api"], name: "gateway" }],
      readyPath: "/api/not-a-route",
      timeoutMs: NODES_UP_MS,
    });
    await expect(attempt).rejects.toThrow(
      // The answer's body says why (a readiness report names what is missing): without it a 45 s wait went unexplained.
      new RegExp(`Cluster not ready: gateway gateway-\\w+ not ready after ${NODES_UP_MS} ms: GET /api/not-a-route answers 404, not 200: \\{"live":false\\}\n[\\s\\S]*--- last \\d+ lines of gateway-`),
    );
  });

  it("times out naming the services that never appeared", async () => {
    const attempt = startCluster({
      transporter: nats.url,
      project: fixture,
      nodes: [{ services: ["echo"] }],
      waitForServices: ["echo", "never-registered"],
      timeoutMs: NODES_UP_MS,
    });
    await expect(attempt).rejects.toThrow(new RegExp(`Cluster not ready: not available after ${NODES_UP_MS} ms: never-registered\n`));
  });
});
