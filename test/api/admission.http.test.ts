/**
 * Admission control through the gateway: checkouts beyond their class's
 * slots and queue get 503 with Retry-After at once, catalog reads are served
 * meanwhile, and time spent queued does not count against REQUEST_TIMEOUT.
 */
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, type ApiClient, type ApiResponse } from "../support/http";
import { waitUntil } from "../support/wait-until";
import type { AdmissionControl } from "../../services/api/admission";

/** Checkouts hold until the test lets them go, each after `holdMs` once let go. */
let open: Promise<void> = Promise.resolve();
let letGo: () => void = () => {};
let holdMs = 0;
const hold = () => (open = new Promise<void>((resolve) => (letGo = resolve)));

const FakeOrders: ServiceSchema = {
  name: "orders",
  settings: { rest: "/" },
  actions: {
    checkout: {
      rest: "POST /orders",
      auth: false,
      params: {},
      async handler(ctx) {
        await open;
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        (ctx.meta as { $statusCode?: number }).$statusCode = 201;
        // The time this call was given (over NATS the caller's transit enforces it).
        return { id: "o1", status: "paid", timeoutMs: ctx.options.timeout };
      },
    },
  },
};
const FakeProducts: ServiceSchema = {
  name: "products",
  settings: { rest: "/" },
  actions: { get: { rest: "GET /products/:id", auth: false, params: { id: "string" }, handler: (ctx) => ({ id: (ctx.params as { id: string }).id }) } },
};

const REQUEST_TIMEOUT_MS = 1000;
let platform: LocalPlatform;
let http: ApiClient;
let admission: AdmissionControl;
const previousTimeout = process.env.REQUEST_TIMEOUT;

beforeAll(async () => {
  process.env.REQUEST_TIMEOUT = String(REQUEST_TIMEOUT_MS);
  platform = await startLocalPlatform({
    services: [FakeOrders, FakeProducts],
    gateway: true,
    gatewaySettings: { expectedServices: ["orders", "products"], admission: { concurrency: { checkout: 1 }, maxWaitMs: 3000, latencyTargetMs: 0 } },
  });
  http = api(`${platform.baseUrl}/api`);
  admission = (platform.broker.getLocalService("api") as unknown as { admission: AdmissionControl }).admission;
});
afterAll(async () => {
  if (previousTimeout === undefined) delete process.env.REQUEST_TIMEOUT;
  else process.env.REQUEST_TIMEOUT = previousTimeout;
  letGo();
  await platform?.stop();
});

const checkout = () => http.post<{ code: number; type: string; data?: { routeClass?: string } }>("/orders", {});
const checkouts = () => admission.gate("checkout");

describe("admission control at the gateway", () => {
  it("answers checkouts beyond the slots and the queue with 503 and Retry-After at once, and serves catalog reads meanwhile", async () => {
    hold();
    holdMs = 0;
    const first = checkout();
    await waitUntil(() => checkouts().active === 1, { description: "the first checkout to be admitted", timeoutMs: 5000, intervalMs: 5 });
    const queued = checkout();
    await waitUntil(() => checkouts().queued === 1, { description: "the second checkout to queue", timeoutMs: 5000, intervalMs: 5 });

    const refused = await checkout();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("3");
    expect(refused.body).toMatchObject({ code: 503, type: "OVERLOADED", data: { routeClass: "checkout" } });

    const read = await http.get<{ id: string }>("/products/p1");
    expect(read.status).toBe(200);

    letGo();
    expect((await first).status).toBe(201);
    expect((await queued).status).toBe(201);
    expect(checkouts().active).toBe(0);
  });

  it("does not count the time a request waited for its slot against REQUEST_TIMEOUT", async () => {
    hold();
    // Each checkout takes most of REQUEST_TIMEOUT once let go: the second waits that long first.
    holdMs = REQUEST_TIMEOUT_MS * 0.7;
    const given = (res: ApiResponse) => (res.body as { timeoutMs?: number }).timeoutMs;
    const first = checkout();
    await waitUntil(() => checkouts().active === 1, { description: "the first checkout to be admitted", timeoutMs: 5000, intervalMs: 5 });
    const second = checkout();
    await waitUntil(() => checkouts().queued === 1, { description: "the second checkout to queue", timeoutMs: 5000, intervalMs: 5 });
    letGo();
    const answers: ApiResponse[] = await Promise.all([first, second]);
    expect(answers.map((res) => res.status)).toEqual([201, 201]);
    expect(answers.map(given)).toEqual([REQUEST_TIMEOUT_MS, REQUEST_TIMEOUT_MS]);
  });
});
