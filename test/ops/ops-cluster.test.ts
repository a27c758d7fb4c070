/**
 * The ops service over a real transporter: three brokers in this process on
 * a private NATS. What the console's Cluster page reads — nodes with their
 * services, a node arriving and leaving, per-action rates, a tripped circuit
 * breaker — comes from the nodes themselves, and only an admin may read it.
 */
import { Errors, ServiceBroker, type ServiceSchema } from "moleculer";
import type { AddressInfo } from "node:net";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import ApiService from "../../services/api/api.service";
import OpsService from "../../services/ops/ops.service";
import type { BreakerView, NodeView, ActionStats } from "../../services/ops/cluster-view";
import { fakeUsersService } from "../support/fake-users";
import { api, type ApiClient } from "../support/http";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";

interface ClusterView {
  nodes: NodeView[];
  services: { name: string; nodes: number }[];
  actions: ActionStats[];
  breakers: BreakerView[];
}

const ADMIN = { id: "a1", email: "admin@shop.test", name: "Admin", role: "admin" as const };
const CUSTOMER = { id: "c1", email: "ada@shop.test", name: "Ada", role: "customer" as const };

/** A catalog-like service: one read that answers, one that fails as a sick dependency would (5xx). */
const Stockroom: ServiceSchema = {
  name: "stockroom",
  actions: {
    count: { params: {}, handler: () => 42 },
    failing: {
      params: {},
      handler() {
        throw new Errors.MoleculerError("the stockroom's disk is gone", 503, "DISK_GONE");
      },
    },
  },
};

let nats: NatsServer;
const brokers: ServiceBroker[] = [];
let gateway: ServiceBroker;
let http: ApiClient;
const namespace = `ops-${process.pid}`;

function startNode(nodeID: string, services: ServiceSchema<any, any, any>[]): ServiceBroker {
  const cfg = loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: "0", TRANSPORTER: nats.url, NAMESPACE: namespace });
  // Metrics on without a reporter: `$node.metrics` is what the console reads.
  const broker = new ServiceBroker({ ...brokerOptions(cfg), nodeID, logger: false, metrics: { enabled: true } });
  for (const schema of services) broker.createService(schema);
  brokers.push(broker);
  return broker;
}

const cluster = async (token = "admin-token") => {
  const res = await http.get<ClusterView>("/admin/cluster", { token });
  expect(res.status).toBe(200);
  return res.body;
};

beforeAll(async () => {
  nats = await startNatsServer();
  gateway = startNode("ops-gateway", [OpsService, fakeUsersService({ "admin-token": ADMIN, "customer-token": CUSTOMER })]);
  const web = gateway.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ip: "127.0.0.1", expectedServices: ["ops", "stockroom"] } } as ServiceSchema);
  const stockroom = startNode("ops-stockroom-1", [Stockroom]);
  await Promise.all([gateway.start(), stockroom.start()]);
  await gateway.waitForServices(["stockroom"], 10_000);
  http = api(`http://127.0.0.1:${(web as unknown as { server: { address(): AddressInfo } }).server.address().port}/api`);
  await waitUntil(async () => (await http.get("/admin/cluster", { token: "admin-token" })).status === 200, { description: "the ops route", timeoutMs: 10_000 });
}, 30_000);

afterAll(async () => {
  await Promise.all(brokers.map((broker) => broker.stop().catch(() => undefined)));
  await nats?.stop();
});

describe("GET /api/admin/cluster", () => {
  it("lists every node with its services, CPU and uptime, and each service with its node count", async () => {
    const view = await cluster();
    const stockroom = view.nodes.find((node) => node.nodeID === "ops-stockroom-1");
    expect(stockroom).toMatchObject({ available: true, services: ["stockroom"], leftAt: null });
    expect(stockroom?.uptimeSeconds).toEqual(expect.any(Number));
    expect(view.nodes.find((node) => node.nodeID === "ops-gateway")?.services).toEqual(["api", "ops", "users"]);
    expect(view.services).toContainEqual({ name: "stockroom", nodes: 1 });
  });

  it("shows a node started during the session within seconds, and shows it leaving when it stops", async () => {
    const second = startNode("ops-stockroom-2", [Stockroom]);
    await second.start();
    await waitUntil(async () => (await cluster()).services.some((s) => s.name === "stockroom" && s.nodes === 2), { description: "the second stockroom node listed", timeoutMs: 10_000 });

    await second.stop();
    await waitUntil(
      async () => {
        const view = await cluster();
        const gone = view.nodes.find((node) => node.nodeID === "ops-stockroom-2");
        return gone?.available === false && gone.leftAt !== null && view.services.some((s) => s.name === "stockroom" && s.nodes === 1);
      },
      { description: "the second stockroom node shown as left", timeoutMs: 10_000 },
    );
  });

  it("counts the requests an action handled on its node", async () => {
    for (let i = 0; i < 25; i++) await gateway.call("stockroom.count");
    const stats = (await cluster()).actions.find((action) => action.action === "stockroom.count");
    expect(stats).toMatchObject({ service: "stockroom", requestsTotal: 25, errorsTotal: 0, errorRatio: 0 });
    expect(stats?.p95Ms).toEqual(expect.any(Number));
  });

  it("shows the circuit breaker that a failing action opened on its caller", async () => {
    // The broker's breaker opens after 20 calls in its window with half of them 5xx.
    for (let i = 0; i < 25; i++) await gateway.call("stockroom.failing").catch(() => undefined);
    const view = await cluster();
    expect(view.breakers).toContainEqual({ callerNodeID: "ops-gateway", action: "stockroom.failing", targetNodeID: "ops-stockroom-1", state: "open" });
    expect(view.actions.find((action) => action.action === "stockroom.failing")).toMatchObject({ errorRatio: 1 });
  });
});

describe("who may read it", () => {
  it.each([
    ["GET", "/admin/cluster"],
    ["GET", "/admin/events"],
    ["GET", "/admin/dead-letters"],
    ["POST", "/admin/dead-letters/replay"],
  ])("%s %s answers 401 without a token and 403 to a customer", async (method, path) => {
    const send = (token?: string) => (method === "GET" ? http.get(path, { token }) : http.post(path, { service: "notifications" }, { token }));
    expect((await send()).status).toBe(401);
    const forbidden = await send("customer-token");
    expect(forbidden.status).toBe(403);
  });
});
