/**
 * docs/examples/shop-flow.http, the README's example requests for the whole
 * shopping flow, run request by request against a live instance: one node
 * process of the built project with every service, as `npm start` runs it.
 * A request whose answer differs from its `# expect:` fails the suite, so
 * the examples never rot.
 */
import fs from "node:fs";
import path from "node:path";
import { startCluster, type Cluster } from "../support/cluster";
import { assertFreshBuild } from "../support/fresh-build";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { parseHttpFile, runHttpFile, atPath, type ExampleResult } from "./http-file";
import { ResponseValidator } from "../support/openapi-responses";

const EXAMPLES = path.resolve(__dirname, "../../docs/examples/shop-flow.http");
const ALL_SERVICES = ["api", "users", "products", "cart", "orders", "payments", "shipping", "notifications", "currency", "recommendations", "webhooks"];

describe("the example requests of docs/examples/shop-flow.http", () => {
  let nats: NatsServer;
  let cluster: Cluster;
  let results: ExampleResult[];

  beforeAll(async () => {
    assertFreshBuild();
    nats = await startNatsServer();
    cluster = await startCluster({ transporter: nats.url, nodes: [{ services: ALL_SERVICES, name: "shop" }], readyPath: "/api/health/ready" });
    results = await runHttpFile(parseHttpFile(fs.readFileSync(EXAMPLES, "utf8")), { baseUrl: `${cluster.gatewayUrl}/api` });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
  });

  it("cover register, browse, cart, checkout, track and cancel", () => {
    const routes = results.map((r) => `${r.example.method} ${new URL(r.url).pathname.replace(/[0-9a-f]{24}/g, ":id")}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /api/auth/register",
        "GET /api/products",
        "POST /api/cart/items",
        "GET /api/cart",
        "POST /api/orders",
        "GET /api/orders/:id/shipment",
        "POST /api/orders/:id/cancel",
      ]),
    );
  });

  it("answer what each says it expects", () => {
    const mismatches = results
      .filter((r) => r.example.expect !== undefined && r.status !== r.example.expect)
      .map((r) => `${r.example.title || r.example.name}: ${r.example.method} ${r.url} answered ${r.status}, expected ${r.example.expect}: ${r.text.slice(0, 300)}`);
    expect(mismatches).toEqual([]);
    expect(results.every((r) => r.example.expect !== undefined)).toBe(true);
  });

  it("answer what the committed docs/openapi.json describes", () => {
    const validator = new ResponseValidator(JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../docs/openapi.json"), "utf8")));
    for (const r of results) validator.check(r.example.method, new URL(r.url).pathname, new Response(r.text, { status: r.status, headers: r.headers }), r.text);
    expect(validator.problems).toEqual([]);
  });

  it("end with a shipped order and a cancelled one", () => {
    const orders = results.filter((r) => r.example.method === "GET" && new URL(r.url).pathname === "/api/orders").pop();
    const statuses = ((atPath(orders?.body, "$.rows") as { status: string }[]) ?? []).map((o) => o.status).sort();
    expect(statuses).toEqual(["cancelled", "shipped"]);
  });
});
