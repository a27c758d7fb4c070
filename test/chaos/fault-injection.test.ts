/**
 * The fault-injection facility the chaos suite and people trying failures by
 * hand use: latency and errors on a named action or service, set at start
 * (FAULT_RULES) or at runtime on every node (PUT /api/admin/faults).
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { FaultInjection, type FaultedCalls } from "../../middlewares/fault-injection.middleware";
import { parseFaultRules, ruleFor, shouldFail } from "../../platform/fault-rules";
import type { LocalPlatform } from "../support/local-platform";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";

const Catalog: ServiceSchema = {
  name: "catalog",
  actions: { get: () => ({ ok: true }), list: () => ["a"] },
};

describe("fault rules", () => {
  it("name an action or a whole service, the action's own rule first", () => {
    const rules = parseFaultRules([{ target: "payments", errorRate: 1 }, { target: "payments.get", latencyMs: 5 }]);
    expect(ruleFor(rules, "payments.get")).toEqual({ target: "payments.get", latencyMs: 5 });
    expect(ruleFor(rules, "payments.authorize")).toEqual({ target: "payments", errorRate: 1 });
    expect(ruleFor(rules, "products.get")).toBeUndefined();
  });

  it("fail the share of calls they say", () => {
    expect(shouldFail({ target: "x", errorRate: 0.25 }, 0.2)).toBe(true);
    expect(shouldFail({ target: "x", errorRate: 0.25 }, 0.3)).toBe(false);
    expect(shouldFail({ target: "x" }, 0)).toBe(false);
  });

  it("refuse what they cannot mean", () => {
    expect(() => parseFaultRules({})).toThrow(/array/);
    expect(() => parseFaultRules([{ target: "Robert'); DROP" }])).toThrow(/target/);
    expect(() => parseFaultRules([{ target: "a", errorRate: 2 }])).toThrow(/errorRate/);
    expect(() => parseFaultRules([{ target: "a", errorCode: 418 }])).toThrow(/errorCode/);
  });
});

describe("the fault-injection middleware", () => {
  const brokers: ServiceBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });

  async function node(rules = [] as ReturnType<typeof parseFaultRules>, nodeID = "n1"): Promise<ServiceBroker> {
    const broker = new ServiceBroker({ nodeID, logger: false, transporter: "Fake", middlewares: [FaultInjection(rules)] });
    brokers.push(broker);
    broker.createService(Catalog);
    await broker.start();
    return broker;
  }

  it("fails calls with a 503 that says it was injected", async () => {
    const broker = await node([{ target: "catalog.get", errorRate: 1 }]);
    await expect(broker.call("catalog.get")).rejects.toMatchObject({ code: 503, data: { injected: true } });
    await expect(broker.call("catalog.list")).resolves.toEqual(["a"]);
  });

  it("adds latency, enough to make a caller time out", async () => {
    const broker = await node([{ target: "catalog", latencyMs: 300 }]);
    await expect(broker.call("catalog.get", {}, { timeout: 50 })).rejects.toMatchObject({ code: 504 });
  });

  it("counts the calls a rule touched, a held one as running until it ends, after its caller gave up", async () => {
    // Held 3 s: far longer than the few milliseconds between the caller's timeout and the first count.
    const broker = await node([{ target: "catalog.get", latencyMs: 3000 }]);
    await expect(broker.call("catalog.get", {}, { timeout: 50 })).rejects.toMatchObject({ code: 504 });
    await broker.call("catalog.list");
    const calls = () => broker.call<FaultedCalls>("faults.calls");
    expect(await calls()).toEqual({ "catalog.get": { arrived: 1, running: 1 } });
    await waitUntil(async () => (await calls())["catalog.get"].running === 0, { description: "the held call to end", timeoutMs: 10_000 });
    expect(await calls()).toEqual({ "catalog.get": { arrived: 1, running: 0 } });
  });

  it("changes the rules of every node with one broadcast", async () => {
    const a = await node([], "a");
    const b = await node([], "b");
    await waitUntil(() => Boolean(a.registry.nodes.get("b")?.available && b.registry.nodes.get("a")?.available), { description: "the nodes to see each other", timeoutMs: 5000 });
    await a.broadcast("faults.changed", { rules: [{ target: "catalog.get", errorRate: 1 }] });
    await waitUntil(async () => (await b.call<unknown[]>("faults.list")).length === 1, { description: "node b to take the rule", timeoutMs: 2000 });
    await expect(b.call("catalog.get", {}, { nodeID: "b" })).rejects.toMatchObject({ code: 503 });
    await expect(a.call("catalog.get", {}, { nodeID: "a" })).rejects.toMatchObject({ code: 503 });
  });
});

describe("PUT /api/admin/faults", () => {
  let platform: LocalPlatform;
  const saved = process.env.FAULT_INJECTION;

  beforeAll(async () => {
    // platform/config reads the environment once, when first loaded: load the platform afresh with the switch on.
    process.env.FAULT_INJECTION = "true";
    let start!: typeof import("../support/local-platform").startLocalPlatform;
    let users!: ServiceSchema;
    jest.isolateModules(() => {
      ({ startLocalPlatform: start } = require("../support/local-platform"));
      users = {
        name: "users",
        actions: {
          resolveToken: (ctx: { params: { token: string } }) =>
            ctx.params.token === "admin" ? { id: "1", email: "a@x.io", name: "A", role: "admin" } : { id: "2", email: "c@x.io", name: "C", role: "customer" },
        },
      };
    });
    platform = await start({ services: [users, { ...Catalog, settings: { rest: "/" }, actions: { get: { rest: "GET /catalog", auth: false, handler: () => ({ ok: true }) } } }], gateway: true, gatewaySettings: { expectedServices: [] } });
  });
  afterAll(async () => {
    await platform?.stop();
    if (saved === undefined) delete process.env.FAULT_INJECTION;
    else process.env.FAULT_INJECTION = saved;
  });

  it("answers GET /admin/faults 401 without a token and 403 to a customer", async () => {
    const http = api(`${platform.baseUrl}/api`);
    expect((await http.get("/admin/faults")).status).toBe(401);
    expect((await http.get("/admin/faults", { token: "customer" })).status).toBe(403);
    expect((await http.get("/admin/faults", { token: "admin" })).status).toBe(200);
  });

  it("lets an admin break an action and mend it again", async () => {
    const http = api(`${platform.baseUrl}/api`);
    expect((await http.put("/admin/faults", { rules: [{ target: "catalog", errorRate: 1 }] }, { token: "customer" })).status).toBe(403);
    expect((await http.put("/admin/faults", { rules: [{ target: "catalog", errorRate: 1 }] }, { token: "admin" })).status).toBe(200);
    await waitUntil(async () => (await http.get("/catalog")).status === 503, { description: "the fault to apply", timeoutMs: 2000 });
    expect((await http.get("/admin/faults", { token: "admin" })).body).toEqual({ rules: [{ target: "catalog", errorRate: 1 }] });
    expect((await http.put("/admin/faults", { rules: [] }, { token: "admin" })).status).toBe(200);
    await waitUntil(async () => (await http.get("/catalog")).status === 200, { description: "the fault to lift", timeoutMs: 2000 });
  });

  it("refuses a rule it cannot apply, naming the field", async () => {
    const res = await api(`${platform.baseUrl}/api`).put("/admin/faults", { rules: [{ target: "catalog", errorRate: 3 }] }, { token: "admin" });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain("errorRate");
  });
});

describe("/api/admin/faults with FAULT_INJECTION off", () => {
  let platform: LocalPlatform;
  const saved = process.env.FAULT_INJECTION;

  beforeAll(async () => {
    delete process.env.FAULT_INJECTION;
    let start!: typeof import("../support/local-platform").startLocalPlatform;
    jest.isolateModules(() => {
      ({ startLocalPlatform: start } = require("../support/local-platform"));
    });
    const users: ServiceSchema = { name: "users", actions: { resolveToken: () => ({ id: "1", email: "a@x.io", name: "A", role: "admin" }) } };
    platform = await start({ services: [users], gateway: true, gatewaySettings: { expectedServices: [] } });
  });
  afterAll(async () => {
    await platform?.stop();
    if (saved !== undefined) process.env.FAULT_INJECTION = saved;
  });

  it("does not exist, even for an admin: GET and PUT are 404", async () => {
    const http = api(`${platform.baseUrl}/api`);
    expect((await http.get("/admin/faults", { token: "admin" })).status).toBe(404);
    expect((await http.put("/admin/faults", { rules: [{ target: "catalog", errorRate: 1 }] }, { token: "admin" })).status).toBe(404);
  });
});
