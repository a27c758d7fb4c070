/**
 * Chaos scenario 7 of issue #10, bad input: fast-check sends malformed
 * bodies, query strings, path ids and headers to every route of the
 * OpenAPI document, and every other route the gateway serves (a new route is
 * fuzzed without touching this file), as anonymous, a customer and the
 * admin; then raw requests that break HTTP itself. No answer may be a 5xx or
 * missing, every 4xx is in docs/api.md's error shape with an X-Request-ID, no
 * answer shows a stack, a source path or the node id, no refused request or
 * read changes data, and afterwards the platform serves a normal client.
 *
 *   npx jest test/chaos/bad-input.fuzz.test.ts                   # the fixed seed, FUZZ_RUNS per route (default 60)
 *   FUZZ_RUNS=500 FUZZ_SEED=random npx jest test/chaos/bad-input.fuzz.test.ts   # longer, on a new seed
 *   FUZZ_SEED=1234 ...            # replay the base seed a failure printed (each route's seed derives from it)
 *   FUZZ_LOG=1 ...                # the platform's error log on the console (a 500 logs its cause)
 *   FUZZ_VERBOSE=1 ...            # the seed and the status counts per route
 *   FUZZ_EXPLORE=/tmp/f.json ...  # keep going past failures (no shrinking), all of them into that file
 */
import path from "node:path";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, type ApiClient } from "../support/http";
import { platformServiceNames } from "../../services/api/platform-services";
import { config } from "../../platform/config";
import { reportScenario } from "./support/chaos-report";
import {
  bareRoute,
  bodyArb,
  closeAgent,
  headerArb,
  idArb,
  leakPatterns,
  problemsOf,
  queryArb,
  rawRequestArb,
  requestLooksLeaky,
  routesOf,
  send,
  sendRaw,
  type BodyPart,
  type FuzzRequest,
  type FuzzResponse,
  type FuzzRoute,
  type HeaderPart,
  type Role,
} from "./support/fuzz-requests";

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
/** Keep going past failures (no shrinking) and write them all to FUZZ_EXPLORE's file. */
const EXPLORE = process.env.FUZZ_EXPLORE;
const BASE_SEED = process.env.FUZZ_SEED === "random" ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.FUZZ_SEED ?? 20251007);

/** Test-speed settings of the services that have timers or simulated latency. */
const SETTINGS: Record<string, Record<string, unknown>> = {
  products: { reservationSweepIntervalMs: 0 },
  orders: { recoveryIntervalMs: 0 },
  payments: { gatewayLatencyMs: 0, gatewayRetries: 1, gatewayRetryDelayMs: 1, gatewayMaxRetryDelayMs: 5 },
  shipping: { carrierTimerMs: 0 },
};

const servicesDir = path.join(__dirname, "..", "..", "services");
const allServices = platformServiceNames(servicesDir)
  .filter((name) => name !== "api")
  .map((name) => {
    const schema = (require(path.join(servicesDir, name, `${name}.service`)) as { default: ServiceSchema }).default;
    return SETTINGS[name] ? ({ name, mixins: [schema], settings: SETTINGS[name] } as ServiceSchema) : schema;
  });

/**
 * Logout ends the session every other request of the fuzz is made with: it is
 * left out here, and its bad input is tested in test/users/tokens.http.test.ts.
 */
const SESSION_ENDING = "POST /api/auth/logout";

const PASSWORD = "correct horse battery";
const ADDRESS = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
const card = () => ({ cardNumber: "4242424242424242", expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvc: "123" });

// jose is an ES module: Node's own require loads it where jest's cannot (as services/users/jwt.ts does).
const jose = process.getBuiltinModule("node:module").createRequire(__filename)("jose") as typeof import("jose");

interface Adapter {
  count(opts: { query: Record<string, unknown> }): Promise<number>;
  findOne(query: Record<string, unknown>): Promise<Record<string, any> | null>;
}

interface World {
  tokens: Record<Exclude<Role, "anonymous">, string>;
  users: Record<Exclude<Role, "anonymous">, { id: string; email: string }>;
  productIds: string[];
  orderIds: string[];
  badTokens: string[];
}

interface Spec {
  role: Role;
  ids: { kind: string; text: string }[];
  query: { kind: string; text: string };
  body: BodyPart;
  headers: HeaderPart;
  key: string;
}

interface Failure {
  route: string;
  request: FuzzRequest;
  response: FuzzResponse;
  problems: string[];
}

function orderIdOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { data?: { orderId?: string } }).data?.orderId;
  } catch {
    return undefined;
  }
}

/**
 * What failed, with what replays it: fast-check's seed and path, the base
 * seed, and the shrunk request (bodies can be large: the text is cut).
 */
function failureReport<Ts>(what: string, details: fc.RunDetails<Ts>): string {
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const example = fc.stringify(details.counterexample);
  return [
    `${what}: failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s); replay with FUZZ_SEED=${BASE_SEED} (this property: seed ${details.seed}, path "${details.counterexamplePath}")`,
    error.slice(0, 3000),
    `counterexample: ${example.length > 2000 ? `${example.slice(0, 2000)}...` : example}`,
  ].join("\n");
}

/** Seeds per route, from the base seed, so each route gets its own sequence and one seed replays all. */
function routeSeed(key: string): number {
  let h = BASE_SEED | 0;
  for (const ch of key) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

describe("chaos 7: bad input on every route", () => {
  let platform: LocalPlatform;
  let http: ApiClient;
  let routes: FuzzRoute[];
  /** "GET /api/products/{id}" of every alias the gateway serves. */
  let served: string[];
  let world: World;
  const failures: Failure[] = [];
  const statusCounts = new Map<string, Record<string, number>>();
  /** Ids of what the fuzzing created: by a 201, or a checkout refused after its order existed. A replay adds nothing. */
  const created = { users: new Set<string>(), products: new Set<string>(), orders: new Set<string>() };
  let requests = 0;
  /** The data before the fuzzing. */
  let initial: Record<string, unknown>;
  let dataChecks = 0;
  const crashes: string[] = [];
  const realProcess = process.getBuiltinModule("node:process");
  const onCrash = (err: unknown) => crashes.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));

  const adapter = (service: string, store = "adapter") => (platform.broker.getLocalService(service) as unknown as Record<string, Adapter>)[store];

  /** The data a refused request or a read must leave as it was: counts, the fuzzed products and order, the callers' profiles and carts. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const product = (id: string) => adapter("products").findOne({ _id: id });
    const user = async (id: string) => {
      const doc = await adapter("users").findOne({ _id: id });
      return doc && { name: doc.name, address: doc.address, passwordHash: doc.passwordHash, role: doc.role, email: doc.email };
    };
    const cart = (userId: string) => platform.broker.call("cart.contentsOf", { userId });
    const order = async (id: string) => {
      const doc = await adapter("orders").findOne({ _id: id });
      return doc && { status: doc.status, payment: doc.payment, shipment: doc.shipment ?? null };
    };
    const [users, products, orders, keys, reservations, p0, p1, o0, customer, admin, customerCart, adminCart] = await Promise.all([
      adapter("users").count({ query: {} }),
      adapter("products").count({ query: {} }),
      adapter("orders").count({ query: {} }),
      adapter("orders", "keyStore").count({ query: {} }),
      adapter("products", "reservationStore").count({ query: {} }),
      product(world.productIds[0]),
      product(world.productIds[1]),
      order(world.orderIds[0]),
      user(world.users.customer.id),
      user(world.users.admin.id),
      cart(world.users.customer.id),
      cart(world.users.admin.id),
    ]);
    return { users, products, orders, keys, reservations, p0, p1, o0, customer, admin, customerCart, adminCart };
  }

  /** Valid bodies where the document's example is not one (it cannot know a card, an id or a unique sku). */
  function validBody(route: FuzzRoute): unknown {
    const bodies: Record<string, unknown> = {
      "POST /api/auth/register": { email: `fuzz-${randomBytes(4).toString("hex")}@example.com`, password: PASSWORD, name: "Fuzz" },
      "POST /api/auth/login": { email: world.users.customer.email, password: PASSWORD },
      "PATCH /api/users/me": { name: "Fuzz Customer", address: ADDRESS },
      "POST /api/products": { sku: `FUZZ-${randomBytes(4).toString("hex").toUpperCase()}`, name: "Fuzz", category: "fuzz", price: 1999, currency: "USD", stock: 5 },
      "PATCH /api/products/{id}": { name: "Fuzzed", price: 1999 },
      "POST /api/products/{id}/stock": { delta: 1 },
      "POST /api/cart/items": { productId: world.productIds[1], quantity: 1 },
      "PATCH /api/cart/items/{productId}": { quantity: 1 },
      "POST /api/orders": { shippingAddress: ADDRESS, shippingMethod: "standard", payment: card() },
    };
    return bodies[route.key] ?? route.body?.example ?? {};
  }

  function validIds(route: FuzzRoute): string[] {
    // Archiving the fuzzed products would leave the other routes only 404s to answer.
    if (route.method === "DELETE" && route.template.startsWith("/api/products/")) return [];
    if (route.template.startsWith("/api/products/") || route.template.startsWith("/api/cart/")) return world.productIds;
    if (/^\/api\/(admin\/)?(orders|shipments)\//.test(route.template)) return world.orderIds;
    return [...world.productIds, ...world.orderIds];
  }

  function roleArb(route: FuzzRoute): fc.Arbitrary<Role> {
    const [anonymous, customer, admin] = route.roles.includes("admin") ? [1, 1, 4] : route.auth === "none" ? [3, 1, 1] : [1, 4, 2];
    return fc.oneof(
      { arbitrary: fc.constant<Role>("anonymous"), weight: anonymous },
      { arbitrary: fc.constant<Role>("customer"), weight: customer },
      { arbitrary: fc.constant<Role>("admin"), weight: admin },
    );
  }

  function specArb(route: FuzzRoute): fc.Arbitrary<Spec> {
    const noBody = fc.oneof({ arbitrary: fc.constant<BodyPart>({ kind: "none" }), weight: 4 }, { arbitrary: bodyArb({ id: "x" }, undefined), weight: 1 });
    return fc.record({
      role: roleArb(route),
      ids: fc.tuple(...route.pathParams.map((name) => idArb(validIds(route)).map((id) => ({ ...id, kind: `${name}: ${id.kind}` })))),
      query: queryArb(Object.keys(route.query)),
      body: route.body ? bodyArb(validBody(route), route.body.schema) : noBody,
      headers: headerArb(world.badTokens),
      key: fc.uuid(),
    });
  }

  function requestOf(route: FuzzRoute, spec: Spec): FuzzRequest {
    let at = 0;
    const pathPart = route.template.replace(/\{\w+\}/g, () => spec.ids[at++].text);
    const headers: Record<string, string> = { accept: "application/json", "idempotency-key": `fuzz-${spec.key}`, ...spec.headers.headers };
    const token = spec.role === "anonymous" ? undefined : world.tokens[spec.role];
    const authorization = spec.headers.authorization === undefined ? (token ? `Bearer ${token}` : undefined) : spec.headers.authorization;
    if (authorization != null) headers.authorization = authorization;
    if (spec.body.bytes === undefined) delete headers["content-type"];
    return {
      route: route.key,
      role: spec.role,
      method: route.method,
      path: spec.query.text ? `${pathPart}?${spec.query.text}` : pathPart,
      headers,
      body: spec.body.bytes,
      kinds: [...spec.ids.map((id) => id.kind), spec.query.kind, `body ${spec.body.kind}`, spec.headers.kind].filter(Boolean),
    };
  }

  /** One request with its checks; throws what is wrong (fast-check then shrinks the input). */
  async function check(route: FuzzRoute, spec: Spec, patterns: RegExp[]): Promise<void> {
    const req = requestOf(route, spec);
    // A request carrying what the leak check looks for could see it echoed back: not a leak.
    fc.pre(!requestLooksLeaky(req, patterns));
    const before = await snapshot();
    const res = await send(platform.baseUrl, req);
    requests++;
    const counts = statusCounts.get(route.key) ?? {};
    counts[res.status] = (counts[res.status] ?? 0) + 1;
    statusCounts.set(route.key, counts);
    if (res.status === 201) {
      const body = JSON.parse(res.text) as { id?: string; user?: { id?: string } };
      if (route.key === "POST /api/auth/register") created.users.add(String(body.user?.id));
      if (route.key === "POST /api/products") created.products.add(String(body.id));
      if (route.key === "POST /api/orders") created.orders.add(String(body.id));
    }

    // The operator's cluster view names the nodes: that is what it is for (admins only).
    const problems = problemsOf(res, route.key === "GET /api/admin/cluster" && res.status === 200 ? patterns.slice(0, -1) : patterns);
    // Keys a merge would turn into a prototype, or into fields the client may not set, never act as sent fields.
    if (res.status < 300 && spec.body.kind === "fields under __proto__" && (route.body?.schema.required?.length ?? 0) > 0) {
      problems.push(`${res.status}: fields sent under "__proto__" were taken as the body's fields`);
    }
    if (res.status === 201 && route.key === "POST /api/auth/register" && !res.text.includes('"role":"customer"')) {
      problems.push(`registration made a user that is not a customer: ${res.text.slice(0, 200)}`);
    }
    // A refused request, and any read, leaves the data as it was.
    if ((res.status >= 400 && res.status < 500) || req.method === "GET") {
      dataChecks++;
      const after = await snapshot();
      // A checkout refused after its order existed (402, 409 out of stock) keeps that order, failed, and its key;
      // its reservation is released (the products' `reserved` is compared below).
      const failedOrderId = route.key === "POST /api/orders" ? orderIdOf(res.text) : undefined;
      if (failedOrderId && !created.orders.has(failedOrderId)) {
        created.orders.add(failedOrderId);
        const order = await adapter("orders").findOne({ _id: failedOrderId });
        if (!order || !["failed", "cancelled"].includes(order.status)) problems.push(`refused checkout left order ${failedOrderId} ${order?.status ?? "missing"}`);
        (before as Record<string, number>).orders += 1;
        (before as Record<string, number>).keys += 1;
        (before as Record<string, unknown>).reservations = after.reservations;
      }
      const changed = Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
      if (changed.length > 0) problems.push(`${res.status} changed data: ${changed.map((k) => `${k} ${JSON.stringify(before[k])} -> ${JSON.stringify(after[k])}`).join("; ")}`);
    }
    if (problems.length > 0) {
      failures.push({ route: route.key, request: req, response: res, problems });
      if (EXPLORE) return;
      throw new Error(
        `${req.method} ${req.path.slice(0, 300)} as ${req.role} [${req.kinds.join(" | ")}] answered ${res.status}: ${problems.join("; ")}\n` +
          `request headers ${JSON.stringify(req.headers).slice(0, 500)}\nbody ${JSON.stringify(req.body?.toString("utf8").slice(0, 300))}`,
      );
    }
  }

  /** A malformed example per route that every run tries first: its first declared field of the wrong type. */
  function firstExample(route: FuzzRoute): Spec {
    const role: Role = route.roles.includes("admin") ? "admin" : route.auth === "none" ? "anonymous" : "customer";
    const body = validBody(route) as Record<string, unknown>;
    const field = Object.keys(route.body?.schema.properties ?? {})[0];
    const bytes = route.body ? Buffer.from(JSON.stringify(field ? { ...body, [field]: { $gt: "" } } : body)) : undefined;
    return {
      role,
      ids: route.pathParams.map(() => ({ kind: "id of 101 chars", text: "a".repeat(101) })),
      query: { kind: "query", text: Object.keys(route.query).map((k) => `${k}[$gt]=`).join("&") },
      body: { kind: field ? `${field} an operator` : "valid", bytes },
      headers: { kind: "", headers: { "content-type": "application/json" } },
      key: "00000000-0000-4000-8000-000000000000",
    };
  }

  beforeAll(async () => {
    realProcess.on("unhandledRejection", onCrash);
    realProcess.on("uncaughtException", onCrash);
    platform = await startLocalPlatform({ services: allServices, gateway: true, logLevel: process.env.FUZZ_LOG ? "error" : undefined });
    http = api(`${platform.baseUrl}/api`);
    const doc = await http.get<Parameters<typeof routesOf>[0]>("/openapi.json");
    expect(doc.status).toBe(200);
    routes = routesOf(doc.body);
    // Every route the gateway serves, the ones the document leaves out (Swagger UI's) too.
    const gateway = platform.broker.getLocalService("api") as unknown as { aliases: { method: string; fullPath: string }[] };
    served = [...new Set(gateway.aliases.map((a) => bareRoute(a.method, a.fullPath).key))].filter((key) => key !== SESSION_ENDING);
    for (const alias of gateway.aliases) {
      const bare = bareRoute(alias.method, alias.fullPath);
      if (!routes.some((r) => r.key === bare.key)) routes.push(bare);
    }
    routes = routes.filter((route) => route.key !== SESSION_ENDING);

    const email = `fuzz-customer-${randomBytes(4).toString("hex")}@example.com`;
    const registered = await http.post<{ token: string; user: { id: string } }>("/auth/register", { email, password: PASSWORD, name: "Fuzz Customer" });
    expect(registered.status).toBe(201);
    const login = await http.post<{ token: string; user: { id: string } }>("/auth/login", { email: config.adminEmail, password: config.adminPassword });
    expect(login.status).toBe(200);
    const admin = { token: login.body.token };
    const newProduct = async (stock: number) => {
      const res = await http.post<{ id: string }>("/products", { sku: `FZ-${randomBytes(5).toString("hex").toUpperCase()}`, name: "Fuzz target", category: "fuzz", price: 1250, stock }, admin);
      expect(res.status).toBe(201);
      return res.body.id;
    };
    const productIds = [await newProduct(100_000), await newProduct(100_000)];
    const customer = { token: registered.body.token };
    expect((await http.post("/cart/items", { productId: productIds[0], quantity: 1 }, customer)).status).toBe(201);
    const order = await http.post<{ id: string; status: string }>("/orders", { shippingAddress: ADDRESS, payment: card() }, { ...customer, headers: { "Idempotency-Key": "fuzz-setup" } });
    expect(order.body.status).toBe("paid");
    expect((await http.post("/cart/items", { productId: productIds[0], quantity: 2 }, customer)).status).toBe(201);

    // Tokens that look right and are not: expired, signed with another key, for nobody, without expiry, another algorithm, unsigned.
    const key = (platform.broker.getLocalService("users") as unknown as { jwtKey: Uint8Array }).jwtKey;
    const jwt = (claims: { sub?: string; exp?: number; iss?: string; aud?: string }, signingKey: Uint8Array = key, alg = "HS256") => {
      const token = new jose.SignJWT({}).setProtectedHeader({ alg, typ: "JWT" }).setIssuedAt();
      if (claims.sub !== undefined) token.setSubject(claims.sub);
      if (claims.exp !== undefined) token.setExpirationTime(claims.exp);
      token.setIssuer(claims.iss ?? "moleculer-shop").setAudience(claims.aud ?? "moleculer-shop-api");
      return token.sign(signingKey);
    };
    const now = Math.floor(Date.now() / 1000);
    const unsigned = (payload: object) => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.`;
    const badTokens = await Promise.all([
      jwt({ sub: registered.body.user.id, exp: now - 60 }),
      jwt({ sub: registered.body.user.id, exp: now + 600 }, randomBytes(32)),
      jwt({ sub: "no-such-user", exp: now + 600 }),
      jwt({ sub: "../../etc/passwd", exp: now + 600 }),
      jwt({ sub: "", exp: now + 600 }),
      jwt({ sub: registered.body.user.id }),
      jwt({ sub: registered.body.user.id, exp: now + 600, iss: "someone-else" }),
      jwt({ sub: registered.body.user.id, exp: now + 600 }, key, "HS512"),
    ]);
    badTokens.push(
      unsigned({ sub: registered.body.user.id, exp: now + 600, iss: "moleculer-shop", aud: "moleculer-shop-api" }),
      `${login.body.token}x`,
      login.body.token.split(".").slice(0, 2).join("."),
      login.body.token.replace(/\.[^.]*$/, ".AAAA"),
    );
    world = {
      tokens: { customer: registered.body.token, admin: login.body.token },
      users: { customer: { id: registered.body.user.id, email }, admin: { id: login.body.user.id, email: config.adminEmail } },
      productIds,
      orderIds: [order.body.id],
      badTokens,
    };
  });

  afterAll(async () => {
    if (EXPLORE) {
      const out = failures.map((f) => ({ route: f.route, role: f.request.role, path: f.request.path.slice(0, 400), kinds: f.request.kinds, headers: f.request.headers, body: f.request.body?.toString("utf8").slice(0, 400), status: f.response.status, text: f.response.text.slice(0, 400), problems: f.problems }));
      process.getBuiltinModule("node:fs").writeFileSync(EXPLORE, JSON.stringify(out, null, 1));
    }
    realProcess.off("unhandledRejection", onCrash);
    realProcess.off("uncaughtException", onCrash);
    closeAgent();
    await platform?.stop();
  });

  it("answers every malformed request with a clean 4xx (or a success), never a 5xx, a crash or a leak, and keeps the data whole", async () => {
    expect(routes.length).toBeGreaterThan(20);
    initial = await snapshot();
    const patterns = leakPatterns(platform.broker.nodeID);
    const reports: string[] = [];
    const fuzzed: string[] = [];
    for (const route of routes) {
      const details = await fc.check(
        fc.asyncProperty(specArb(route), (spec) => check(route, spec, patterns)),
        { numRuns: RUNS, seed: routeSeed(route.key), examples: [[firstExample(route)]], maxSkipsPerRun: 100 },
      );
      if (details.numRuns > 0) fuzzed.push(route.key);
      if (details.failed) reports.push(failureReport(route.key, details));
    }
    if (process.env.FUZZ_VERBOSE) {
      console.warn(`FUZZ_SEED=${BASE_SEED}, ${requests} requests\n${[...statusCounts].map(([r, c]) => `${r}: ${JSON.stringify(c)}`).join("\n")}`);
    }

    // No route was left out, and each one's validation was reached past its auth check.
    expect(served.filter((key) => !fuzzed.includes(key))).toEqual([]);
    expect(fuzzed.sort()).toEqual(routes.map((r) => r.key).sort());
    const unvalidated = routes
      .filter((r) => r.documented && (r.pathParams.length > 0 || r.body || Object.keys(r.query).length > 0) && !statusCounts.get(r.key)?.["422"])
      .map((r) => r.key);
    expect(unvalidated).toEqual([]);
    expect(reports).toEqual([]);
  }, 300_000);

  it("answers raw requests that break HTTP itself (request line, header bytes, framing) in the error shape, never a 5xx or silence", async () => {
    const port = Number(new URL(platform.baseUrl).port);
    const patterns = leakPatterns(platform.broker.nodeID);
    const targets = routes.map((r) => r.template.replace(/\{\w+\}/g, "x"));
    const details = await fc.check(
      fc.asyncProperty(rawRequestArb(targets), async (spec) => {
        const res = await sendRaw(port, spec.bytes);
        requests++;
        const counts = statusCounts.get("raw HTTP") ?? {};
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        statusCounts.set("raw HTTP", counts);
        const problems = problemsOf(res, patterns, { head: spec.method === "HEAD" });
        if (problems.length > 0) {
          const request: FuzzRequest = { route: "raw", role: "anonymous", method: spec.method, path: "", headers: {}, body: spec.bytes, kinds: [spec.kind] };
          failures.push({ route: "raw", request, response: res, problems });
          if (!EXPLORE) throw new Error(`${spec.kind} answered ${res.status}: ${problems.join("; ")}\nsent ${JSON.stringify(spec.bytes.toString("latin1").slice(0, 600))}`);
        }
      }),
      { numRuns: RUNS * 4, seed: routeSeed("raw HTTP") },
    );
    if (process.env.FUZZ_VERBOSE) console.warn(`raw HTTP: ${JSON.stringify(statusCounts.get("raw HTTP"))}`);
    expect(details.failed ? failureReport("raw HTTP", details) : "").toBe("");
  }, 120_000);

  it("is still up afterwards, serves a normal client, and only successful creations added data", async () => {
    expect(crashes).toEqual([]);
    const health = await http.get<{ ready: boolean }>("/health/ready");
    expect(health.status).toBe(200);
    const email = `after-fuzz-${randomBytes(4).toString("hex")}@example.com`;
    expect((await http.post("/auth/register", { email, password: PASSWORD, name: "After" })).status).toBe(201);
    const session = await http.post<{ token: string }>("/auth/login", { email, password: PASSWORD });
    expect(session.status).toBe(200);
    expect((await http.get("/users/me", { token: session.body.token })).status).toBe(200);
    const list = await http.get<{ rows: unknown[] }>("/products?pageSize=5");
    expect(list.status).toBe(200);
    expect(list.body.rows.length).toBeGreaterThan(0);
    expect((await http.post("/cart/items", { productId: world.productIds[1], quantity: 1 }, { token: session.body.token })).status).toBe(201);

    // Users, products and orders grew by exactly the 201s (and refused checkouts' failed orders), plus this check's user.
    const after = await snapshot();
    expect(after.users).toBe((initial.users as number) + created.users.size + 1);
    expect(after.products).toBe((initial.products as number) + created.products.size);
    expect(after.orders).toBe((initial.orders as number) + created.orders.size);

    reportScenario({
      scenario: "7 bad input",
      requests,
      failures: failures.length,
      dataChecks: `${routes.length} routes fuzzed; ${dataChecks} refused requests and reads left the data unchanged; users +${created.users.size}, products +${created.products.size}, orders +${created.orders.size}, only by 2xx or refused checkouts; still serving`,
    });
  }, 300_000);
});
