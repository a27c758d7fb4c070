/**
 * The gateway's own promises (docs/api.md "General rules"), checked through HTTP
 * against test-only services that stand in for the real ones.
 */
import { Errors, type ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, getPathAsGiven, rawRequest, type ApiClient } from "../support/http";
import type { AuthUser, ShopContext } from "../../types/moleculer";

const customer: AuthUser = { id: "u1", email: "c@example.com", name: "Cust", role: "customer" };
const admin: AuthUser = { id: "u2", email: "a@example.com", name: "Admin", role: "admin" };

const FakeUsers: ServiceSchema = {
  name: "users",
  actions: {
    resolveToken: {
      visibility: "public",
      params: { token: "string" },
      handler(ctx: ShopContext<{ token: string }>) {
        if (ctx.params.token === "customer-token") return customer;
        if (ctx.params.token === "admin-token") return admin;
        throw new Errors.MoleculerClientError("Invalid token", 401, "INVALID_TOKEN");
      },
    },
  },
};

const Probe: ServiceSchema = {
  name: "probe",
  settings: { rest: "/" },
  actions: {
    open: { rest: "GET /probe/open", auth: false, params: {}, handler: (ctx: ShopContext) => ({ user: ctx.meta.user ?? null, requestID: ctx.requestID }) },
    mine: { rest: "GET /probe/mine", params: {}, handler: (ctx: ShopContext) => ({ user: ctx.meta.user }) },
    adminOnly: { rest: "GET /probe/admin", roles: ["admin"], params: {}, handler: () => ({ ok: true }) },
    create: {
      rest: "POST /probe/things",
      auth: false,
      params: { name: { type: "string", min: 1 }, qty: { type: "number", integer: true, min: 1 } },
      handler(ctx: ShopContext<{ name: string }>) {
        ctx.meta.$statusCode = 201;
        return { name: ctx.params.name, key: ctx.meta.idempotencyKey ?? null };
      },
    },
    crash: {
      rest: "GET /probe/crash",
      auth: false,
      params: {},
      handler() {
        throw new Error("secret detail at /srv/app/internal.ts:42");
      },
    },
    missing: { rest: "GET /probe/missing", auth: false, params: {}, handler: (ctx: ShopContext) => ctx.call("nobody.home") },
    slow: { rest: "GET /probe/slow", auth: false, timeout: 50, params: {}, handler: () => new Promise((r) => setTimeout(r, 500)) },
    internal: { visibility: "public", rest: "GET /probe/internal", params: {}, handler: () => ({ leaked: true }) },
  },
};

describe("the gateway", () => {
  let platform: LocalPlatform;
  let http: ApiClient;

  beforeAll(async () => {
    platform = await startLocalPlatform({
      services: [FakeUsers, Probe],
      gateway: true,
      gatewaySettings: { expectedServices: ["users", "probe"] },
    });
    http = api(`${platform.baseUrl}/api`);
  });
  afterAll(() => platform.stop());

  describe("routing", () => {
    it("answers an unknown route with a 404 in the error shape", async () => {
      const res = await http.get("/no/such/route");
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ name: "NotFoundError", message: "Not found", code: 404, type: "NOT_FOUND" });
    });

    it("does not publish moleculer-web's alias listing", async () => {
      expect((await http.get("/list-aliases")).status).toBe(404);
      expect((await http.get("/api/list-aliases")).status).toBe(404);
    });

    it("does not route actions that are not published", async () => {
      expect((await http.get("/probe/internal")).status).toBe(404);
    });

    it("does not expose internal actions by their names", async () => {
      expect((await http.get("/users/resolveToken?token=admin-token")).status).toBe(404);
    });

    it("does not let a path climb from an open route into a guarded one", async () => {
      for (const path of ["/api/probe/open/../admin", "/api/probe/open/%2e%2e/admin", "/api/probe/open/..%2fadmin"]) {
        // Sent as written: resolved, the path would be /api/probe/admin (401 without a token, 403 for a customer).
        for (const headers of [{}, { authorization: "Bearer customer-token" }] as Record<string, string>[]) {
          const res = await getPathAsGiven(platform.baseUrl, path, headers);
          expect({ path, status: res.status, body: JSON.parse(res.text) }).toEqual({ path, status: 404, body: expect.objectContaining({ type: "NOT_FOUND" }) });
        }
      }
    });
  });

  describe("request ids", () => {
    it("returns the client's X-Request-ID and hands it to the service", async () => {
      const res = await http.get<{ requestID: string }>("/probe/open", { headers: { "X-Request-ID": "order-flow-42" } });
      expect(res.headers.get("x-request-id")).toBe("order-flow-42");
      expect(res.body.requestID).toBe("order-flow-42");
    });

    it("generates one when the client sends none", async () => {
      const res = await http.get<{ requestID: string }>("/probe/open");
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.requestID).toBe(res.headers.get("x-request-id"));
    });

    it("replaces a request id that could inject into logs", async () => {
      const res = await http.get<{ requestID: string }>("/probe/open", { headers: { "X-Request-ID": "a b\tc" + "x".repeat(200) } });
      expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("carries the request id on error responses too", async () => {
      const res = await http.get("/no/such/route", { headers: { "X-Request-ID": "lost-1" } });
      expect(res.headers.get("x-request-id")).toBe("lost-1");
    });
  });

  describe("bodies", () => {
    it("answers malformed JSON with 400", async () => {
      const res = await rawRequest(platform.baseUrl, "POST", "/api/probe/things", '{"name": ', { "content-type": "application/json" });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 400, type: "INVALID_JSON" });
    });

    it("answers a body over the limit with 413", async () => {
      const body = JSON.stringify({ name: "x".repeat(300 * 1024), qty: 1 });
      const res = await rawRequest(platform.baseUrl, "POST", "/api/probe/things", body, { "content-type": "application/json" });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 413, type: "PAYLOAD_TOO_LARGE" });
    });

    it("answers invalid fields with 422 naming each field", async () => {
      const res = await http.post<{ data: { field: string }[] }>("/probe/things", { name: "", qty: 1.5 });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ name: "ValidationError", code: 422, type: "VALIDATION_ERROR" });
      expect(res.body.data.map((d) => d.field).sort()).toEqual(["name", "qty"]);
    });

    it("answers a valid creation with the service's 201", async () => {
      const res = await http.post("/probe/things", { name: "lamp", qty: 2 }, { headers: { "Idempotency-Key": "k-1" } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ name: "lamp", key: "k-1" });
    });
  });

  describe("authentication and roles", () => {
    it("lets anyone call a public route, ignoring a broken token there", async () => {
      expect((await http.get("/probe/open")).status).toBe(200);
      expect((await http.get("/probe/open", { token: "garbage" })).status).toBe(200);
    });

    it("answers 401 when a route needs a token and none is sent", async () => {
      const res = await http.get("/probe/mine");
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 401, type: "NO_TOKEN" });
    });

    it("answers 401 for a token the users service rejects", async () => {
      expect((await http.get("/probe/mine", { token: "forged" })).status).toBe(401);
    });

    it("answers 401 for an Authorization header that is not a Bearer token", async () => {
      const res = await http.get("/probe/mine", { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
      expect(res.status).toBe(401);
    });

    it("passes the resolved user to the action", async () => {
      const res = await http.get<{ user: AuthUser }>("/probe/mine", { token: "customer-token" });
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual(customer);
    });

    it("answers 403 when the caller's role is not allowed", async () => {
      const res = await http.get("/probe/admin", { token: "customer-token" });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 403, type: "FORBIDDEN" });
      expect((await http.get("/probe/admin", { token: "admin-token" })).status).toBe(200);
    });
  });

  describe("failures", () => {
    it("hides an unexpected error behind a plain 500", async () => {
      const res = await http.get("/probe/crash");
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" });
      expect(res.text).not.toMatch(/secret|\/srv|\.ts|stack/);
    });

    it("answers 503 naming the service when no node offers it", async () => {
      const res = await http.get("/probe/missing");
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", data: { service: "nobody" } });
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.text).not.toContain(platform.broker.nodeID);
    });

    it("answers 504 when an action times out, without naming the node", async () => {
      const res = await http.get("/probe/slow");
      expect(res.status).toBe(504);
      expect(res.body).toEqual({ name: "GatewayTimeoutError", message: "The request timed out", code: 504, type: "REQUEST_TIMEOUT" });
    });
  });

  describe("health", () => {
    it("is live", async () => {
      const res = await http.get("/health/live");
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: "ok" });
    });

    it("is ready when every expected service has a node", async () => {
      const res = await http.get("/health/ready");
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ready: true, transporter: "embedded", missing: [] });
    });
  });
});

describe("the rate-limited auth routes", () => {
  const FakeAuth: ServiceSchema = {
    name: "users",
    settings: { rest: "/" },
    actions: {
      login: { rest: "POST /auth/login", auth: false, params: {}, handler: () => ({ token: "t" }) },
      register: { rest: "POST /auth/register", auth: false, params: {}, handler: () => ({ token: "t" }) },
      me: { rest: "GET /users/me", auth: false, params: {}, handler: () => ({ me: true }) },
    },
  };

  it("are served beside the others, and answer 429 with Retry-After past the limit per client", async () => {
    const platform = await startLocalPlatform({
      services: [FakeAuth],
      gateway: true,
      gatewaySettings: { expectedServices: ["users"], authRateLimit: { window: 60_000, limit: 3 } },
    });
    try {
      const http = api(`${platform.baseUrl}/api`);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await http.post(i % 2 ? "/auth/register" : "/auth/login", {})).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await http.post("/auth/login", {});
      expect(limited.body).toMatchObject({ code: 429 });
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Other routes are not limited by it.
      for (let i = 0; i < 5; i++) expect((await http.get("/users/me")).status).toBe(200);
    } finally {
      await platform.stop();
    }
  });
});

describe("a gateway whose services are missing", () => {
  it("answers 503 on readiness, listing what is missing", async () => {
    const platform = await startLocalPlatform({ services: [], gateway: true, gatewaySettings: { expectedServices: ["users", "products"] } });
    try {
      const res = await api(`${platform.baseUrl}/api`).get("/health/ready");
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ ready: false, missing: ["users", "products"], services: { users: "missing", products: "missing" } });
    } finally {
      await platform.stop();
    }
  });
});
