/**
 * Chaos scenario 3 (issue #10): NATS is killed and restarted while shoppers
 * read the catalog and their carts. The node processes reconnect by
 * themselves, none restarts, and requests through the gateway succeed again
 * within 10 s of the restart.
 *
 * The whole platform runs as node processes of the built project on a
 * private NATS: a gateway, an accounts node and a backend node with the other
 * services. NATS stays down until the gateway has also lost the other nodes
 * from its registry (their heartbeats timed out), the worst case a restart
 * must recover from. Readiness answers 503 while NATS is down and 200 after.
 *
 * The 10 s are the recovery promise, measured from the restart to the
 * first request of a run that no failure interrupts, for each kind of request
 * (catalog read, authenticated cart read); the only timed assertion here.
 */
import path from "node:path";
import { assertFreshBuild } from "../support/fresh-build";
import { BUILT_PROJECT, startCluster, type Cluster } from "../support/cluster";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { percentile, runLoad, type LoadResult } from "./support/load";
import { reportScenario } from "./support/chaos-report";
import { apiErrorProblems, processStates, registerShopper, sustainedRecoveryMs, type Shopper } from "./support/infra-shop";
import { platformServiceNames } from "../../services/api/platform-services";

const LOAD_MS = 22_000;
const KILL_AT_MS = 2_000;
const RECOVERY_PROMISE_MS = 10_000;
const WORKERS_PER_KIND = 3;

interface Readiness {
  ready: boolean;
  transporter: string;
  missing: string[];
}

interface Product {
  id: string;
  stock: number;
}

const is2xx = (status: number) => status >= 200 && status < 300;

// Every service of the build has a node, so the gateway can be ready.
const BACKEND = platformServiceNames(path.join(BUILT_PROJECT.root, BUILT_PROJECT.serviceDir)).filter((name) => name !== "api" && name !== "users");

describe("chaos 3: NATS killed and restarted", () => {
  let nats: NatsServer;
  let cluster: Cluster;
  let http: ApiClient;
  let shopper: Shopper;
  let products: Product[];

  beforeAll(async () => {
    assertFreshBuild();
    nats = await startNatsServer();
    cluster = await startCluster({
      transporter: nats.url,
      env: { LOG_LEVEL: "warn" },
      // Ready only once the gateway routes every service of the build.
      readyPath: "/api/health/ready",
      nodes: [
        { services: ["api"], name: "gateway" },
        { services: ["users"], name: "accounts" },
        { services: BACKEND, name: "backend" },
      ],
    });
    http = api(`${cluster.gatewayUrl}/api`);
    shopper = await registerShopper(http, "nats-chaos");
    products = (await http.get<{ rows: Product[] }>("/products?inStock=true&pageSize=20")).body.rows;
    expect((await http.post("/cart/items", { productId: products[0].id, quantity: 1 }, { token: shopper.token })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    // The nodes leave over NATS: bring it back if a failed test left it dead.
    if (nats && !nats.isRunning()) await nats.restart().catch(() => undefined);
    await cluster?.stop();
    await nats?.stop();
  });

  it("reconnects every node by itself, and the gateway serves catalog and carts again after the restart (how soon: the chaos report)", async () => {
    const before = processStates(cluster.nodes);
    const errorProblems: string[] = [];
    let lastReadiness: Readiness | undefined;
    const readiness = async () => {
      const res = await http.get<Readiness>("/health/ready", { timeoutMs: 5000 });
      lastReadiness = res.body;
      return res.status;
    };
    const timeline = { downReadiness: undefined as Readiness | undefined, restartedAt: 0, readyAgainAt: 0 };

    /**
     * The status. An error answer must have docs/api.md's shape, whatever the status, and a 503 must name one of
     * `needs`, the services the request depends on; a 2xx must be the answer asked for (`isAnswer`), or it
     * counts as a failure (status 0, with the reason).
     */
    async function send(request: () => Promise<{ status: number; body: unknown; text: string }>, needs: string[], isAnswer: (body: unknown) => boolean): Promise<number> {
      const res = await request();
      if (!is2xx(res.status)) {
        errorProblems.push(...apiErrorProblems(res.body, res.status).map((p) => `${res.status}: ${p}`));
        const service = (res.body as { data?: { service?: string } }).data?.service;
        if (res.status === 503 && !needs.includes(service ?? "")) errorProblems.push(`503 naming ${service}, not one of ${needs.join(", ")}: ${res.text}`);
      } else if (!isAnswer(res.body)) throw new Error(`${res.status} with another answer: ${res.text.slice(0, 300)}`);
      return res.status;
    }
    const readCatalog = (worker: number, n: number) => {
      const product = products[(worker + n) % products.length];
      return send(() => http.get(`/products/${product.id}`, { timeoutMs: 30_000 }), ["products"], (body) => (body as Product).id === product.id);
    };
    const readCart = () =>
      send(
        () => http.get("/cart", { token: shopper.token, timeoutMs: 30_000 }),
        // The gateway resolves the token with users (cached a few seconds), then calls cart, which reads products.
        ["users", "cart", "products"],
        (body) => (body as { items?: { productId: string }[] }).items?.some((item) => item.productId === products[0].id) === true,
      );

    const fault = async () => {
      await nats.kill();
      await waitUntil(async () => (await readiness()) === 503, { description: "readiness to answer 503 without NATS", timeoutMs: 10_000 });
      timeline.downReadiness = lastReadiness;
      // Down until the gateway has lost the other nodes too: heartbeats missed for HEARTBEAT_TIMEOUT.
      await waitUntil(async () => (await readiness()) === 503 && (lastReadiness?.missing.length ?? 0) > 0, {
        description: "the gateway to drop the nodes it no longer hears",
        timeoutMs: 15_000,
      });
      await nats.restart();
      timeline.restartedAt = Date.now();
      await waitUntil(async () => (await readiness()) === 200, {
        description: `readiness to answer 200 again (last: ${JSON.stringify(lastReadiness)})`,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      timeline.readyAgainAt = Date.now();
    };

    const start = Date.now();
    const [catalog, cart]: LoadResult[] = await Promise.all([
      runLoad({ durationMs: LOAD_MS, concurrency: WORKERS_PER_KIND, request: readCatalog, during: { atMs: KILL_AT_MS, run: fault } }),
      runLoad({ durationMs: LOAD_MS, concurrency: WORKERS_PER_KIND, request: readCart }),
    ]);
    const restartMs = timeline.restartedAt - start;

    // While NATS was down: not ready, and the report names the link.
    expect(timeline.downReadiness).toMatchObject({ ready: false, transporter: "disconnected" });
    expect(lastReadiness).toMatchObject({ ready: true, transporter: "connected", missing: [] });

    // No process restarted: same PIDs, none exited.
    expect(processStates(cluster.nodes)).toEqual(before);
    for (const state of Object.values(before)) expect(state.exited).toBe(false);

    // What clients saw during the outage: errors in docs/api.md's shape, a 503 naming a service the request needs
    // (never a 404 for a route whose service is away for now) or a 504, nothing else.
    expect({ count: errorProblems.length, first: errorProblems.slice(0, 5) }).toEqual({ count: 0, first: [] });
    const otherFailures = [...catalog.failures, ...cart.failures].filter((o) => o.status !== 503 && o.status !== 504);
    expect(otherFailures.map((o) => `${o.startedAt} ms: ${o.status} ${o.error ?? ""}`).slice(0, 10)).toEqual([]);

    const catalogRecovery = sustainedRecoveryMs(catalog.outcomes, restartMs, is2xx);
    const cartRecovery = sustainedRecoveryMs(cart.outcomes, restartMs, is2xx);
    expect({ catalog: catalogRecovery, cart: cartRecovery }).toEqual({ catalog: expect.any(Number), cart: expect.any(Number) });
    const recoveryMs = Math.max(catalogRecovery ?? Infinity, cartRecovery ?? Infinity);
    const afterRecovery = [...catalog.outcomes, ...cart.outcomes].filter((o) => o.startedAt >= restartMs + recoveryMs);
    // Recovered for good, with the load still running for a while after. How soon is a duration a loaded
    // machine stretches: a timed promise in the chaos report, judged by `npm run chaos` (./support/chaos-report.ts).
    expect(afterRecovery.length).toBeGreaterThan(20);

    // The cart kept its line across the outage, and takes a new one.
    const added = await http.post<{ items: { productId: string; quantity: number }[] }>("/cart/items", { productId: products[1].id, quantity: 2 }, { token: shopper.token });
    expect(added.status).toBe(201);
    expect(added.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ productId: products[0].id, quantity: 1 }), expect.objectContaining({ productId: products[1].id, quantity: 2 })]),
    );

    // Durable events flow again over the restarted JetStream: a new account gets its welcome in the inbox.
    const newcomer = await registerShopper(http, "nats-chaos-after");
    await waitUntil(async () => ((await http.get<{ total?: number }>("/notifications", { token: newcomer.token })).body.total ?? 0) > 0, {
      description: "the welcome notification of an account registered after the restart",
      timeoutMs: 20_000,
      intervalMs: 250,
    });

    const requests = catalog.requests + cart.requests;
    const failures = catalog.failures.length + cart.failures.length;
    const faultWindow = [...catalog.outcomes, ...cart.outcomes].filter((o) => o.startedAt >= KILL_AT_MS && o.startedAt < restartMs + recoveryMs);
    reportScenario({
      scenario: "3 NATS restarted",
      requests,
      failures,
      p99Ms: Math.round(percentile(faultWindow.map((o) => o.latencyMs), 0.99)),
      promises: [{ promise: `requests served again within ${RECOVERY_PROMISE_MS} ms of the restart`, measured: `${recoveryMs} ms`, held: recoveryMs <= RECOVERY_PROMISE_MS }],
      dataChecks:
        `NATS down ${restartMs - KILL_AT_MS} ms; catalog ok ${catalogRecovery} ms, cart ok ${cartRecovery} ms, readiness 200 ` +
        `${timeline.readyAgainAt - timeline.restartedAt} ms after restart (promise ${RECOVERY_PROMISE_MS}); readiness 503 while down; ` +
        `same ${cluster.nodes.length} PIDs; errors only 503/504 in API shape; cart kept its line; durable events delivered after restart`,
    });
  }, 90_000);
});
