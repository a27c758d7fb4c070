/**
 * The span tree of a checkout, across node processes: one node per service
 * group of `npm run cluster` (gateway, accounts, catalog, checkout,
 * fulfilment) over a private NATS, TRACING_EXPORTER=Event, and a collector
 * of the `$tracing.spans` events in the test's own broker.
 *
 * `POST /api/orders` is one trace whose id is the request id: the gateway's
 * `api.rest` span is its only root, `orders.checkout` hangs right below it,
 * and every call of the saga (cart, catalog, shipping quote, reserve,
 * charge, commit, clear the cart; on a decline the release) is a
 * child of `orders.checkout`, on the node that runs its service; every span
 * carries the request id. A declined checkout's compensation is in the same
 * tree. (test/ops/tracing.test.ts covers a simpler request, and that no span
 * carries params or meta.)
 */
import { TEST_CARDS } from "../../services/payments/simulated-gateway";
import type { NatsServer } from "../support/nats-server";
import type { Cluster } from "../support/cluster";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { platformNodes, startTracedPlatform } from "./ops-support";

interface Span {
  id: string;
  traceID: string;
  parentID?: string | null;
  name: string;
  startTime?: number;
  service?: { name?: string } | null;
  error?: unknown;
  tags: { requestID?: string; nodeID?: string; action?: { name?: string } };
}

const PASSWORD = "correct horse battery staple";
const ADDRESS = { line1: "1 Trace Street", city: "Springfield", postalCode: "12345", country: "US" };

/** What the saga calls from orders.checkout, in order, for a paid checkout (services/orders/checkout/checkout-prepare.ts, services/orders/checkout/checkout-calls.ts). */
const PAID_CHECKOUT_CALLS = [
  "cart.contentsOf",
  "products.getMany",
  "shipping.quote",
  "products.reserve",
  "payments.charge",
  "products.commit",
  "cart.clearFor",
];

const checkoutBuilt = platformNodes().some((node) => node.services.includes("orders"));

(checkoutBuilt ? describe : describe.skip)("the span tree of a checkout", () => {
  let nats: NatsServer;
  let cluster: Cluster;
  let http: ApiClient;
  const spans: Span[] = [];
  const nodeOf = (service: string) => cluster.nodes.find((n) => n.services.includes(service))?.nodeID;
  const actionOf = (span: Span) => span.tags.action?.name;

  /**
   * The spans of one trace once it has a span of each of `actions` and the
   * parent of every span it has (each node flushes its spans on its own timer).
   */
  async function traceWith(requestID: string, actions: string[]): Promise<Span[]> {
    const trace = () => spans.filter((span) => span.traceID === requestID);
    const complete = () => {
      const ids = new Set(trace().map((span) => span.id));
      return actions.every((action) => trace().some((span) => actionOf(span) === action)) && trace().every((span) => !span.parentID || ids.has(span.parentID));
    };
    await waitUntil(complete, {
      description: `spans of ${actions.join(", ")} and their parents in trace ${requestID} (have: ${trace().map(actionOf).join(", ")})`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    return trace();
  }

  /** The one span of `action` right below `parent`. */
  function childOf(trace: Span[], parent: Span, action: string): Span {
    const found = trace.filter((span) => span.parentID === parent.id && actionOf(span) === action);
    expect({ action, below: actionOf(parent), spans: found.length }).toEqual({ action, below: actionOf(parent), spans: 1 });
    return found[0];
  }

  async function shopperWithCart(): Promise<string> {
    const registered = await http.post<{ token: string }>("/auth/register", { email: `checkout-trace-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`, password: PASSWORD, name: "Tracer" });
    expect(registered.status).toBe(201);
    const product = (await http.get<{ rows: { id: string }[] }>("/products?inStock=true&pageSize=1")).body.rows[0];
    expect((await http.post("/cart/items", { productId: product.id, quantity: 1 }, { token: registered.body.token })).status).toBe(201);
    return registered.body.token;
  }

  function checkout(token: string, requestID: string, cardNumber: string) {
    const payment = { cardNumber, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: "123" };
    return http.post<{ id?: string; status?: string }>(
      "/orders",
      { shippingAddress: ADDRESS, payment },
      { token, headers: { "X-Request-ID": requestID, "Idempotency-Key": `${requestID}-key` } },
    );
  }

  /** One tree: the gateway's span is the only root, every other span's parent is in the trace, every span carries the request id. */
  function expectOneTree(trace: Span[], requestID: string): Span {
    const ids = new Set(trace.map((span) => span.id));
    const roots = trace.filter((span) => !span.parentID);
    expect(roots.map(actionOf)).toEqual(["api.rest"]);
    expect(roots[0].tags.nodeID).toBe(nodeOf("api"));
    expect(trace.filter((span) => span.parentID && !ids.has(span.parentID)).map((span) => span.name)).toEqual([]);
    expect(trace.filter((span) => span.traceID !== requestID || span.tags.requestID !== requestID).map((span) => span.name)).toEqual([]);
    return roots[0];
  }

  beforeAll(async () => {
    ({ nats, cluster } = await startTracedPlatform("checkout-span-collector", spans));
    http = api(`${cluster.gatewayUrl}/api`);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
  });

  it("is one trace rooted at the gateway, with orders.checkout below it and every saga call below that", async () => {
    const token = await shopperWithCart();
    const res = await checkout(token, "checkout-trace-paid", TEST_CARDS.approved);
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe("checkout-trace-paid");

    const trace = await traceWith("checkout-trace-paid", ["api.rest", "orders.checkout", ...PAID_CHECKOUT_CALLS]);
    const root = expectOneTree(trace, "checkout-trace-paid");
    expect(root.name).toContain("/api/orders");

    const checkoutSpan = childOf(trace, root, "orders.checkout");
    expect(checkoutSpan.tags.nodeID).toBe(nodeOf("orders"));

    for (const action of PAID_CHECKOUT_CALLS) {
      const span = childOf(trace, checkoutSpan, action);
      const service = action.split(".")[0];
      expect({ action, node: span.tags.nodeID, service: span.service?.name }).toEqual({ action, node: nodeOf(service), service });
    }
    // The checkout hands shipping.quote the weights it read: the quote reads the catalog no second time.
    const quote = childOf(trace, checkoutSpan, "shipping.quote");
    expect(trace.filter((span) => span.parentID === quote.id).map(actionOf)).toEqual([]);
    // The steps ran one after another, in the saga's order.
    const started = PAID_CHECKOUT_CALLS.map((action) => childOf(trace, checkoutSpan, action).startTime ?? 0);
    expect(started).toEqual([...started].sort((a, b) => a - b));

    // Nothing else hangs below orders.checkout; the gateway's own calls (resolving the token) hang below api.rest.
    const belowCheckout = trace.filter((span) => span.parentID === checkoutSpan.id).map(actionOf).sort();
    expect(belowCheckout).toEqual([...PAID_CHECKOUT_CALLS].sort());
    expect(trace.filter((span) => span.parentID === root.id).map(actionOf).filter((action) => action !== "users.resolveToken")).toEqual(["orders.checkout"]);
    const services = new Set(trace.map((span) => span.service?.name));
    services.delete("users"); // only when the gateway had to resolve the token
    expect([...services].sort()).toEqual(["api", "cart", "orders", "payments", "products", "shipping"]);
  });

  it("has a declined checkout's compensation in the same tree: the reservation released below orders.checkout", async () => {
    const token = await shopperWithCart();
    const res = await checkout(token, "checkout-trace-declined", TEST_CARDS.declined);
    expect(res.status).toBe(402);

    const trace = await traceWith("checkout-trace-declined", ["api.rest", "orders.checkout", "shipping.quote", "products.reserve", "payments.charge", "products.release"]);
    const root = expectOneTree(trace, "checkout-trace-declined");
    const checkoutSpan = childOf(trace, root, "orders.checkout");
    expect(checkoutSpan.error).toBeTruthy();
    for (const action of ["products.reserve", "payments.charge", "products.release"]) childOf(trace, checkoutSpan, action);
    expect(childOf(trace, checkoutSpan, "payments.charge").error).toBeTruthy();
    expect(childOf(trace, checkoutSpan, "products.release").error).toBeFalsy();
    // Nothing was captured or committed.
    expect(trace.filter((span) => ["products.commit", "cart.clearFor"].includes(actionOf(span) ?? "")).map(actionOf)).toEqual([]);
  });
});
