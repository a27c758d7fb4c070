/**
 * Logs in production form (LOG_FORMAT=json) at debug level, from node
 * processes of the built project over a private NATS: every line is one JSON
 * object with time, level, nodeID and service; lines logged while an action
 * runs also carry the action and the request id, on every node the request
 * reached. After a realistic flow (register, login, profile, a failed login,
 * product reads, card payments) no log line holds a password, a token or
 * card data.
 */
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { assertFreshBuild, platformNodes, testedBuild } from "./ops-support";

interface LogLine {
  time: string;
  level: string;
  nodeID: string;
  service: string;
  action?: string;
  event?: string;
  requestID?: string;
  msg: string;
}

const PASSWORD = "correct horse battery staple";
const WRONG_PASSWORD = "incorrect donkey battery";
const CARD = "4242424242424242";
const DECLINED_CARD = "4000000000000002";
const CVC = "739";

function parsed(node: ClusterNode): { lines: LogLine[]; unparsable: string[] } {
  const lines: LogLine[] = [];
  const unparsable: string[] = [];
  for (const raw of node.logs().split("\n").filter((line) => line.trim() !== "")) {
    try {
      lines.push(JSON.parse(raw) as LogLine);
    } catch {
      unparsable.push(raw);
    }
  }
  return { lines, unparsable };
}

describe("JSON logs of a realistic flow at debug level", () => {
  let nats: NatsServer;
  let cluster: Cluster;
  let http: ApiClient;
  let token: string;
  const secrets: string[] = [PASSWORD, WRONG_PASSWORD, CARD, DECLINED_CARD];

  beforeAll(async () => {
    assertFreshBuild();
    nats = await startNatsServer();
    cluster = await startCluster({
      project: testedBuild(),
      transporter: nats.url,
      env: { LOG_FORMAT: "json", LOG_LEVEL: "debug" },
      readyPath: "/api/health/ready",
      nodes: platformNodes(),
    });
    http = api(`${cluster.gatewayUrl}/api`);
    const email = `logs-${Date.now()}@example.com`;
    const registered = await http.post<{ token: string }>("/auth/register", { email, password: PASSWORD, name: "Log Reader" }, { headers: { "X-Request-ID": "logs-register" } });
    expect(registered.status).toBe(201);
    const login = await http.post<{ token: string }>("/auth/login", { email, password: PASSWORD }, { headers: { "X-Request-ID": "logs-login" } });
    expect(login.status).toBe(200);
    token = login.body.token;
    secrets.push(registered.body.token, token, ...token.split(".").slice(1));
    expect((await http.post("/auth/login", { email, password: WRONG_PASSWORD })).status).toBe(401);
    expect((await http.get("/users/me", { token, headers: { "X-Request-ID": "logs-me" } })).status).toBe(200);
    const page = await http.get<{ rows: { id: string }[] }>("/products?pageSize=1");
    const read = await http.get(`/products/${page.body.rows[0].id}`, { headers: { "X-Request-ID": "logs-product-read" } });
    expect(read.status).toBe(200);

    // Card data only ever reaches payments inside the cluster (the checkout saga calls it).
    const card = (number: string) => ({ number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: CVC });
    const authorize = (number: string, orderId: string) =>
      cluster.broker.call("payments.authorize", { orderId, userId: "u-logs", amount: 1999, currency: "USD", card: card(number), idempotencyKey: `key-${orderId}` }, { requestID: `logs-${orderId}` });
    await authorize(CARD, "order-approved");
    await authorize(DECLINED_CARD, "order-declined").catch(() => undefined);

    // Lines are written as they happen; wait for the last request's lines to arrive.
    const productsNode = cluster.nodes.find((n) => n.services.includes("products")) as ClusterNode;
    await waitUntil(() => productsNode.logs().includes("logs-product-read"), { description: "the products node's log of the read", timeoutMs: 10_000 });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
  });

  it("writes one JSON object per line with time, level, nodeID and service", () => {
    for (const node of cluster.nodes) {
      const { lines, unparsable } = parsed(node);
      expect({ node: node.nodeID, unparsable }).toEqual({ node: node.nodeID, unparsable: [] });
      expect(lines.length).toBeGreaterThan(0);
      const incomplete = lines.filter((l) => !/^\d{4}-\d\d-\d\dT/.test(l.time) || !l.level || l.nodeID !== node.nodeID || !l.service || typeof l.msg !== "string");
      expect(incomplete).toEqual([]);
    }
  });

  it("tags lines logged inside an action with the action and the request id, on every node the request reached", () => {
    const lineOf = (node: string, requestID: string, action: string) =>
      parsed(cluster.nodes.find((n) => n.services.includes(node)) as ClusterNode).lines.find((l) => l.requestID === requestID && l.action === action);
    expect(lineOf("api", "logs-product-read", "api.rest")).toMatchObject({ service: "api", level: "debug" });
    expect(lineOf("products", "logs-product-read", "products.get")).toMatchObject({ service: "products" });
    expect(lineOf("users", "logs-me", "users.resolveToken")).toMatchObject({ service: "users" });
    expect(lineOf("payments", "logs-order-approved", "payments.authorize")).toMatchObject({ service: "payments" });
  });

  it("holds no password, token or card number, on any node", () => {
    const leaks = cluster.nodes.flatMap((node) =>
      node.logs().split("\n").flatMap((line) => secrets.filter((secret) => line.includes(secret)).map((secret) => `${node.nodeID}: ${secret.slice(0, 6)}... in ${line.slice(0, 300)}`)));
    expect(leaks).toEqual([]);
  });

  it("holds no card security code next to a card field", () => {
    const logs = cluster.nodes.map((node) => node.logs()).join("\n");
    expect(logs).not.toMatch(new RegExp(`cvc\\W{0,6}${CVC}`, "i"));
  });
});
