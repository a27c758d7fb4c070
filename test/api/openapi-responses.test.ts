/**
 * Every answer is what /api/openapi.json says it is. The whole shop runs
 * behind the gateway; a typed client (clients/typescript, generated from
 * docs/openapi.json) drives the shop flow and every documented error, and
 * each response goes through a validator of the served document: a status
 * the operation does not list, a field its schema does not have, or a
 * missing X-Request-ID or Location fails the suite. Then every operation must
 * have been seen answering each status it documents, except the few listed
 * below that a healthy local platform cannot produce on demand.
 */
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { ResponseValidator } from "../support/openapi-responses";
import { waitUntil } from "../support/wait-until";
import { startReceiver, type Receiver } from "../webhooks/support/receiver";
import { platformServiceNames } from "../../services/api/platform-services";
import { config } from "../../platform/config";
import { createShopClient, type Order, type Product, type ShopClient } from "../../clients/typescript";

const servicesDir = path.join(__dirname, "..", "..", "services");
// Low limits, so that reaching them takes a few requests (each login costs a password hash).
const AUTH_RATE_LIMIT = 4;
const LOGIN_FAILURES = 3;
const allServices = platformServiceNames(servicesDir)
  .filter((name) => name !== "api")
  .map((name) => (require(path.join(servicesDir, name, `${name}.service`)) as { default: ServiceSchema }).default)
  .map((schema) => (schema.name === "users" ? { ...schema, settings: { ...schema.settings, loginLimit: { maxFailures: LOGIN_FAILURES, windowSec: 900 } } } : schema))
  // Retries in milliseconds, so that a delivery dies within the test.
  .map((schema) => (schema.name === "webhooks" ? { ...schema, settings: { ...schema.settings, retrySchedule: "20ms,20ms", pollIntervalMs: 20, allowPrivate: true } } : schema));

const ADDRESS = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
const CARD = { cardNumber: "4242424242424242", expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvc: "123" };
const DECLINED = { ...CARD, cardNumber: "4000000000000002" };
let serial = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++serial}`;
const MISSING_ID = "000000000000000000000000";

type Doc = { paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, unknown>; requestBody?: unknown }>> };

/** What a healthy platform on demand cannot answer: timeouts, lost services, races, crashed checkouts. */
const NOT_PROVOKED: Record<string, string[]> = {
  "*": ["504"],
  "GET /api/users/me": ["404"],
  // The account deleted, or its password changed by another session, between two steps of one request.
  "PATCH /api/users/me": ["404", "409"],
  // The account deleted while its token still works.
  "POST /api/auth/logout": ["404"],
  // Two rotations racing on one secret (test/webhooks/webhooks.test.ts drives the conditional write).
  "POST /api/admin/webhooks/{id}/rotate-secret": ["409"],
};
/** Statuses checked on one route for all: the others answer them by the same gateway code. */
const ONCE_FOR_ALL = ["503"];

describe("every response matches the OpenAPI document", () => {
  let platform: LocalPlatform;
  let doc: Doc;
  let validator: ResponseValidator;
  let anonymous: ShopClient;
  let admin: ShopClient;
  let customer: ShopClient;
  let customerToken: string;
  let product: Product;
  let order: Order;

  // Each request from its own client address, unless it names one: only the rate-limit test reaches the per-address limit.
  const fromAnywhere = (request: Request) => {
    if (!request.headers.has("x-forwarded-for")) request.headers.set("x-forwarded-for", unique("10.9.9"));
    return validator.fetch(request);
  };
  const as = (token?: string) => createShopClient({ baseUrl: platform.baseUrl, token, fetch: fromAnywhere });
  const operations = () => Object.entries(doc.paths).flatMap(([route, ops]) => Object.entries(ops).map(([method, op]) => ({ route, method, op })));
  const concrete = (route: string, id = MISSING_ID) => route.replace(/\{[^}]+\}/g, id);

  beforeAll(async () => {
    platform = await startLocalPlatform({ services: allServices, gateway: true, gatewaySettings: { authRateLimit: { window: 60_000, limit: AUTH_RATE_LIMIT }, trustProxy: { kind: "hops", hops: 1 } } });
    const served = await fetch(`${platform.baseUrl}/api/openapi.json`);
    doc = (await served.json()) as Doc;
    validator = new ResponseValidator(doc);
    anonymous = as();
    const adminLogin = await anonymous.POST("/api/auth/login", { body: { email: config.adminEmail, password: config.adminPassword } });
    admin = as(adminLogin.data?.token);
  });
  afterAll(() => platform?.stop());
  afterEach(() => {
    const problems = validator.problems.splice(0);
    expect(problems).toEqual([]);
  });

  it("the shop flow: register, browse, cart, checkout, ship, track, cancel", async () => {
    const email = `${unique("ada")}@example.com`;
    const registered = await anonymous.POST("/api/auth/register", { body: { email, password: "correct horse", name: "Ada" } });
    expect(registered.response.status).toBe(201);
    customerToken = registered.data!.token;
    customer = as(customerToken);
    expect((await anonymous.POST("/api/auth/login", { body: { email, password: "correct horse" } })).data?.user.email).toBe(email);
    expect((await customer.GET("/api/users/me")).data?.email).toBe(email);
    expect((await customer.PATCH("/api/users/me", { body: { name: "Ada L.", address: ADDRESS } })).data?.address).toEqual(ADDRESS);
    expect((await admin.GET("/api/users", { params: { query: { pageSize: 5 } } })).data?.rows.length).toBeGreaterThan(0);

    const created = await admin.POST("/api/products", { body: { sku: unique("LAMP").toUpperCase(), name: "Desk Lamp", category: "lighting", price: 1999, stock: 5, weightGrams: 350 } });
    expect(created.response.status).toBe(201);
    product = created.data!;
    expect((await admin.PATCH("/api/products/{id}", { params: { path: { id: product.id } }, body: { price: 1899 } })).data?.price).toBe(1899);
    expect((await admin.POST("/api/products/{id}/stock", { params: { path: { id: product.id } }, body: { delta: 5 } })).data?.stock).toBe(10);
    expect((await anonymous.GET("/api/products", { params: { query: { q: "lamp", sort: "price" } } })).data?.total).toBeGreaterThan(0);
    expect((await anonymous.GET("/api/products/{id}", { params: { path: { id: product.id } } })).data?.sku).toBe(product.sku);
    expect((await anonymous.GET("/api/categories")).data).toEqual(expect.arrayContaining([{ name: "lighting", count: 1 }]));

    const added = await customer.POST("/api/cart/items", { body: { productId: product.id, quantity: 1 } });
    expect(added.response.status).toBe(201);
    expect((await customer.POST("/api/cart/items", { body: { productId: product.id, quantity: 1 } })).response.status).toBe(200);
    expect((await customer.PATCH("/api/cart/items/{productId}", { params: { path: { productId: product.id } }, body: { quantity: 2 } })).data?.itemCount).toBe(2);
    expect((await customer.GET("/api/cart")).data?.subtotal).toBe(3798);
    expect((await customer.GET("/api/cart", { params: { query: { currency: "XXX" } } })).response.status).toBe(422);

    const key = unique("checkout");
    const checkout = await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": key } }, body: { shippingAddress: ADDRESS, payment: CARD } });
    expect(checkout.response.status).toBe(201);
    order = checkout.data!;
    expect(order.status).toBe("paid");
    const replay = await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": key } }, body: { shippingAddress: ADDRESS, payment: CARD } });
    expect(replay.data?.id).toBe(order.id);
    expect((await customer.GET("/api/orders")).data?.rows.map((o) => o.id)).toContain(order.id);
    expect((await customer.GET("/api/orders/{id}", { params: { path: { id: order.id } } })).data?.total).toBe(order.total);
    expect((await admin.GET("/api/admin/orders", { params: { query: { status: "paid" } } })).data?.total).toBeGreaterThan(0);

    expect((await customer.GET("/api/orders/{id}/shipment", { params: { path: { id: order.id } } })).response.status).toBe(404);
    expect((await admin.POST("/api/admin/orders/{id}/ship", { params: { path: { id: order.id } } })).data?.status).toBe("shipped");
    expect((await customer.GET("/api/orders/{id}/shipment", { params: { path: { id: order.id } } })).data?.status).toBe("label_created");
    expect((await admin.GET("/api/admin/shipments/{orderId}", { params: { path: { orderId: order.id } } })).data?.orderId).toBe(order.id);
    for (let step = 0; step < 3; step++) expect((await admin.POST("/api/admin/shipments/{orderId}/advance", { params: { path: { orderId: order.id } } })).response.status).toBe(200);
    const pastDelivered = await admin.POST("/api/admin/shipments/{orderId}/advance", { params: { path: { orderId: order.id } } });
    expect(pastDelivered.error?.type).toBe("INVALID_TRANSITION");
    expect((await customer.POST("/api/orders/{id}/cancel", { params: { path: { id: order.id } } })).error?.type).toBe("ALREADY_SHIPPED");
    expect((await admin.POST("/api/admin/orders/{id}/ship", { params: { path: { id: order.id } } })).error?.type).toBe("INVALID_TRANSITION");

    // A second order, cancelled while paid, then cancelled again.
    await customer.POST("/api/cart/items", { body: { productId: product.id, quantity: 1 } });
    const second = await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": unique("checkout") } }, body: { payment: CARD, shippingMethod: "express" } });
    expect(second.response.status).toBe(201);
    expect((await customer.POST("/api/orders/{id}/cancel", { params: { path: { id: second.data!.id } } })).data?.status).toBe("cancelled");
    expect((await customer.POST("/api/orders/{id}/cancel", { params: { path: { id: second.data!.id } } })).data?.status).toBe("cancelled");

    await waitUntil(async () => ((await customer.GET("/api/notifications")).data?.total ?? 0) > 0, { description: "the welcome notification", timeoutMs: 10_000 });
    expect((await admin.GET("/api/admin/orders", { params: { query: { email: email.toUpperCase() } } })).data?.rows[0]?.customer?.email).toBe(email);
    const me = (await admin.GET("/api/users/me")).data!;
    expect((await admin.POST("/api/users/{id}/disable", { params: { path: { id: me.id } } })).error?.type).toBe("OWN_ACCOUNT");
    const shopperId = (await customer.GET("/api/users/me")).data!.id;
    expect((await admin.POST("/api/users/{id}/disable", { params: { path: { id: shopperId } } })).data?.disabled).toBe(true);
    expect((await admin.POST("/api/users/{id}/enable", { params: { path: { id: shopperId } } })).data?.disabled).toBe(false);
    expect((await admin.GET("/api/admin/cluster")).data?.services).toEqual(expect.arrayContaining([{ name: "orders", nodes: 1 }]));
    expect((await admin.GET("/api/admin/events")).data?.consumers).toEqual(expect.arrayContaining([expect.objectContaining({ group: "notifications" })]));
    expect((await admin.GET("/api/admin/dead-letters")).data?.rows).toEqual([]);
    expect((await admin.GET("/api/admin/dead-letters", { params: { query: { service: "nobody" } } })).error?.type).toBe("NOT_FOUND");
    expect((await admin.GET("/api/admin/dead-letters", { params: { query: { limit: 0 } } })).response.status).toBe(422);
    expect((await admin.POST("/api/admin/dead-letters/replay", { body: { service: "notifications" } })).data?.replayed).toBe(0);
    expect((await admin.POST("/api/admin/dead-letters/replay", { body: { service: "nobody" } })).error?.type).toBe("NOT_FOUND");
    expect((await anonymous.GET("/api/health/live")).data?.status).toBe("ok");
    expect((await anonymous.GET("/api/health/ready")).data?.ready).toBe(true);
    expect((await anonymous.GET("/api/openapi.json")).data?.openapi).toBe("3.1.0");
  });

  it("the errors each route documents for its own rules", async () => {
    const email = `${unique("bob")}@example.com`;
    await anonymous.POST("/api/auth/register", { body: { email, password: "correct horse", name: "Bob" } });
    expect((await anonymous.POST("/api/auth/register", { body: { email, password: "correct horse", name: "Bob" } })).error?.type).toBe("CONFLICT");
    expect((await anonymous.POST("/api/auth/login", { body: { email, password: "wrong password" } })).error?.type).toBe("INVALID_CREDENTIALS");
    const wrongCurrent = await customer.PATCH("/api/users/me", { body: { password: "a new password", currentPassword: "not it" } });
    expect(wrongCurrent.error?.type).toBe("VALIDATION_ERROR");

    expect((await admin.POST("/api/products", { body: { sku: product.sku, name: "Twin", category: "lighting", price: 1 } })).error?.type).toBe("CONFLICT");
    const other = await admin.POST("/api/products", { body: { sku: unique("OTHER").toUpperCase(), name: "Other", category: "lighting", price: 500, stock: 1 } });
    expect((await admin.PATCH("/api/products/{id}", { params: { path: { id: other.data!.id } }, body: { sku: product.sku } })).error?.type).toBe("CONFLICT");
    expect((await admin.POST("/api/products/{id}/stock", { params: { path: { id: other.data!.id } }, body: { delta: -5 } })).error?.type).toBe("BELOW_RESERVED");

    expect((await customer.POST("/api/cart/items", { body: { productId: MISSING_ID, quantity: 1 } })).error?.type).toBe("NOT_FOUND");
    expect((await customer.POST("/api/cart/items", { body: { productId: other.data!.id, quantity: 2 } })).error?.type).toBe("OUT_OF_STOCK");
    expect((await customer.PATCH("/api/cart/items/{productId}", { params: { path: { productId: other.data!.id } }, body: { quantity: 1 } })).error?.type).toBe("NOT_FOUND");
    await customer.POST("/api/cart/items", { body: { productId: other.data!.id, quantity: 1 } });
    expect((await customer.PATCH("/api/cart/items/{productId}", { params: { path: { productId: other.data!.id } }, body: { quantity: 3 } })).error?.type).toBe("OUT_OF_STOCK");

    const declined = await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": unique("declined") } }, body: { payment: DECLINED } });
    expect(declined.response.status).toBe(402);
    expect(declined.error?.type).toBe("PAYMENT_DECLINED");
    const key = unique("reused");
    await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": key } }, body: { payment: DECLINED } });
    expect((await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": key } }, body: { payment: CARD } })).error?.type).toBe("IDEMPOTENCY_KEY_REUSED");
    // The other product sells out meanwhile: the checkout finds it out of stock.
    await admin.POST("/api/products/{id}/stock", { params: { path: { id: other.data!.id } }, body: { set: 0 } });
    const soldOut = await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": unique("sold-out") } }, body: { payment: CARD } });
    expect(soldOut.error?.type).toBe("OUT_OF_STOCK");
    expect((await customer.DELETE("/api/cart/items/{productId}", { params: { path: { productId: other.data!.id } } })).data?.items).toEqual([]);
    expect((await customer.DELETE("/api/cart")).data?.itemCount).toBe(0);
    expect((await customer.POST("/api/orders", { params: { header: { "Idempotency-Key": unique("empty") } }, body: { payment: CARD } })).error?.type).toBe("EMPTY_CART");
    expect((await customer.DELETE("/api/products/{id}", { params: { path: { id: other.data!.id } } })).response.status).toBe(403);
    expect((await admin.DELETE("/api/products/{id}", { params: { path: { id: other.data!.id } } })).data?.archived).toBe(true);
    expect((await admin.DELETE("/api/products/{id}", { params: { path: { id: other.data!.id } } })).error?.type).toBe("NOT_FOUND");
  });

  it("the errors the gateway answers for every route: 401, 403, 404, 422, 400 and 413", async () => {
    const json = { "content-type": "application/json" };
    for (const { route, method, op } of operations()) {
      const verb = method.toUpperCase();
      const hasBody = ["POST", "PUT", "PATCH"].includes(verb);
      const url = `${platform.baseUrl}${concrete(route)}`;
      // Logout ends the session it is called with: it gets a session of its own.
      const token = route === "/api/auth/logout" ? await throwawayToken() : op.responses["403"] ? await adminToken() : customerToken;
      const auth = op.security.length === 0 ? {} : { authorization: `Bearer ${token}` };
      const send = (target: string, body?: string) => validator.send(target, { method: verb, headers: { ...auth, ...json, "x-forwarded-for": unique("10.9.8") }, body: hasBody ? (body ?? JSON.stringify(validBody(route))) : undefined });
      if (op.security.length > 0) await validator.send(url, { method: verb });
      if (op.responses["403"]) await validator.send(url, { method: verb, headers: { authorization: `Bearer ${customerToken}` } });
      if (op.responses["404"]) await send(url);
      if (op.responses["422"]) {
        // An id over its 100 characters, a field that breaks its rule, a page size over 100.
        if (route.includes("{")) await send(`${platform.baseUrl}${concrete(route, "x".repeat(101))}`);
        else if (hasBody) await send(url, JSON.stringify({ name: "" }));
        else await send(`${url}?pageSize=1000`);
      }
      if (op.responses["400"]) await send(url, "{not json");
      if (op.responses["413"]) await send(url, JSON.stringify({ pad: "x".repeat(300 * 1024) }));
    }
  });

  it("429 from the per-address limit and from the per-account lockouts", async () => {
    const address = { "x-forwarded-for": unique("10.0.0") };
    let limited = false;
    for (let i = 0; i <= AUTH_RATE_LIMIT && !limited; i++) {
      limited = (await anonymous.POST("/api/auth/login", { body: { email: `${unique("nobody")}@example.com`, password: "wrong password" }, headers: address })).response.status === 429;
    }
    expect(limited).toBe(true);
    const register = await anonymous.POST("/api/auth/register", { body: { email: `${unique("late")}@example.com`, password: "correct horse", name: "Late" }, headers: address });
    expect(register.error?.type).toBe("BAD_REQUEST");

    const email = `${unique("eve")}@example.com`;
    const fresh = () => ({ "x-forwarded-for": unique("10.0.1") });
    const eve = as((await anonymous.POST("/api/auth/register", { body: { email, password: "correct horse", name: "Eve" }, headers: fresh() })).data!.token);
    let locked = false;
    for (let i = 0; i <= LOGIN_FAILURES && !locked; i++) {
      locked = (await anonymous.POST("/api/auth/login", { body: { email, password: "wrong password" }, headers: fresh() })).error?.type === "RATE_LIMITED";
    }
    expect(locked).toBe(true);
    const change = await eve.PATCH("/api/users/me", { body: { password: "a new password", currentPassword: "correct horse" } });
    expect(change.error?.type).toBe("RATE_LIMITED");
  });

  it("webhooks, currencies, recommendations, logout and the shipping quote", async () => {
    const receiver: Receiver = await startReceiver();
    try {
      const created = await admin.POST("/api/admin/webhooks", { body: { url: receiver.url, events: ["order.paid"], description: "ERP" } });
      expect(created.response.status).toBe(201);
      const endpoint = created.data!;
      expect(endpoint.secret).toMatch(/^whsec_/);
      const id = { path: { id: endpoint.id } };
      expect((await admin.GET("/api/admin/webhooks")).data?.rows.map((row) => row.id)).toContain(endpoint.id);
      expect((await admin.GET("/api/admin/webhooks/{id}", { params: id })).data?.url).toBe(receiver.url);
      expect((await admin.PATCH("/api/admin/webhooks/{id}", { params: id, body: { description: "ERP, live" } })).data?.description).toBe("ERP, live");
      expect((await admin.POST("/api/admin/webhooks/{id}/rotate-secret", { params: id })).data?.secret).toMatch(/^whsec_/);
      expect((await admin.PATCH("/api/admin/webhooks/{id}", { params: { path: { id: MISSING_ID } }, body: { enabled: false } })).error?.type).toBe("NOT_FOUND");

      // A test event delivered, then one the receiver refuses until its schedule is used up, sent again on retry.
      const delivered = await admin.POST("/api/admin/webhooks/{id}/test", { params: id });
      expect(delivered.response.status).toBe(202);
      const deliveryOf = async (deliveryId: string) => (await admin.GET("/api/admin/webhooks/{id}/deliveries", { params: id })).data?.rows.find((d) => d.id === deliveryId);
      await waitUntil(async () => (await deliveryOf(delivered.data!.id))?.status === "succeeded", { description: "the test event to be delivered", timeoutMs: 10_000 });
      const notDead = await admin.POST("/api/admin/webhooks/{id}/deliveries/{deliveryId}/retry", { params: { path: { id: endpoint.id, deliveryId: delivered.data!.id } } });
      expect(notDead.error?.type).toBe("NOT_DEAD");
      receiver.answer([503, 503, 503]);
      const refused = (await admin.POST("/api/admin/webhooks/{id}/test", { params: id })).data!;
      await waitUntil(async () => (await deliveryOf(refused.id))?.status === "dead", { description: "the refused delivery to die", timeoutMs: 10_000 });
      const retried = await admin.POST("/api/admin/webhooks/{id}/deliveries/{deliveryId}/retry", { params: { path: { id: endpoint.id, deliveryId: refused.id } } });
      expect(retried.response.status).toBe(202);
      await waitUntil(async () => (await deliveryOf(refused.id))?.status === "succeeded", { description: "the retried delivery to go through", timeoutMs: 10_000 });

      // A disabled endpoint sends nothing, on request or again.
      await admin.PATCH("/api/admin/webhooks/{id}", { params: id, body: { enabled: false } });
      expect((await admin.POST("/api/admin/webhooks/{id}/test", { params: id })).error?.type).toBe("ENDPOINT_DISABLED");
      expect((await admin.DELETE("/api/admin/webhooks/{id}", { params: id })).response.status).toBe(200);
    } finally {
      await receiver.stop();
    }

    const currencies = (await anonymous.GET("/api/currencies")).data!;
    const euro = currencies.currencies.find((c) => c.code === "EUR")!;
    expect((await admin.PUT("/api/admin/currencies/{code}", { params: { path: { code: "EUR" } }, body: { rate: euro.rate } })).data?.code).toBe("EUR");
    expect((await admin.PUT("/api/admin/currencies/{code}", { params: { path: { code: "XYZ" } }, body: { rate: 1 } })).error?.type).toBe("NOT_FOUND");

    expect((await anonymous.GET("/api/products/{id}/recommendations", { params: { path: { id: product.id }, query: { limit: 4, currency: "EUR" } } })).response.status).toBe(200);
    expect((await customer.GET("/api/cart/recommendations")).response.status).toBe(200);
    expect((await customer.GET("/api/cart/recommendations", { params: { query: { currency: "XXX" } } })).response.status).toBe(422);

    const to = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
    const quote = await anonymous.POST("/api/shipping/quote", { body: { items: [{ productId: product.id, quantity: 2 }], address: to, method: "standard" } });
    expect(quote.data?.amount).toBeGreaterThan(0);
    expect((await anonymous.POST("/api/shipping/quote", { body: { items: [{ productId: MISSING_ID, quantity: 1 }], address: to, method: "standard" } })).error?.type).toBe("NOT_FOUND");

    const leaving = as(await throwawayToken());
    expect((await leaving.POST("/api/auth/logout", { body: { all: "maybe" as unknown as boolean } })).response.status).toBe(422);
    expect((await leaving.POST("/api/auth/logout")).response.status).toBe(204);
    expect((await leaving.GET("/api/users/me")).response.status).toBe(401);
  });

  it("503 when the service behind a route is gone", async () => {
    const cart = platform.broker.getLocalService("cart");
    await platform.broker.destroyService(cart!);
    const res = await customer.GET("/api/cart");
    expect(res.response.status).toBe(503);
    expect(res.response.headers.get("retry-after")).toMatch(/^\d+$/);
    const ready = await anonymous.GET("/api/health/ready");
    expect(ready.response.status).toBe(503);
    expect(ready.error).toEqual(expect.objectContaining({ ready: false, missing: ["cart"] }));
  });

  it("every operation was seen answering each status it documents", () => {
    const seen = new Set(validator.seen.map((s) => `${s.method} ${s.route} ${s.status}`));
    const missing = operations().flatMap(({ route, method, op }) => {
      const name = `${method.toUpperCase()} ${route}`;
      const skipped = [...(NOT_PROVOKED["*"] ?? []), ...(NOT_PROVOKED[name] ?? [])];
      return Object.keys(op.responses)
        .filter((status) => !skipped.includes(status))
        .filter((status) => !(ONCE_FOR_ALL.includes(status) && validator.seen.some((s) => String(s.status) === status)))
        .filter((status) => !seen.has(`${name} ${status}`))
        .map((status) => `${name} ${status}`);
    });
    expect(missing).toEqual([]);
  });

  async function throwawayToken(): Promise<string> {
    const email = `${unique("leaving")}@example.com`;
    return (await anonymous.POST("/api/auth/register", { body: { email, password: "correct horse", name: "Leaving" } })).data!.token;
  }

  let cachedAdminToken: string | undefined;
  async function adminToken(): Promise<string> {
    cachedAdminToken ??= (await anonymous.POST("/api/auth/login", { body: { email: config.adminEmail, password: config.adminPassword } })).data!.token;
    return cachedAdminToken;
  }
});

/** A body that passes the route's rules, so that the id in the path is what fails. */
function validBody(route: string): Record<string, unknown> {
  if (route.startsWith("/api/cart/items")) return { quantity: 1 };
  if (route.endsWith("/stock")) return { delta: 1 };
  if (route.startsWith("/api/products")) return { price: 100 };
  return {};
}
