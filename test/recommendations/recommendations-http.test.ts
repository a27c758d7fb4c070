/**
 * GET /api/products/:id/recommendations and GET /api/cart/recommendations
 * (docs/api.md, "Recommendations"): products bought together in paid orders
 * (order.paid, as the orders service's outbox relay publishes it), recent
 * orders weighing more, filled up with same-category products near in price.
 */
import RecommendationsService from "../../services/recommendations/recommendations.service";
import CurrencyService from "../../services/currency/currency.service";
import { MemoryCartStore } from "../../services/cart/cart-store";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import { newId } from "../../platform/db/db-adapter";
import type { EventBus } from "../../platform/events/types";
import { api, type ApiClient } from "../support/http";
import type { LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";
import { ADMIN_TOKEN, CUSTOMER_TOKEN, productBody, startCatalog } from "../products/catalog-platform";
import { cartService } from "../cart/cart-platform";

interface Recommendation {
  id: string;
  sku: string;
  reason: "bought_together" | "similar";
  display?: { amount: number; currency: string };
}

const admin = { token: ADMIN_TOKEN };
const customer = { token: CUSTOMER_TOKEN };
const YEAR_MS = 365 * 24 * 3600 * 1000;
let platform: LocalPlatform;
let client: ApiClient;
let bus: EventBus;
const ids: Record<string, string> = {};

async function create(sku: string, overrides: Record<string, unknown>): Promise<void> {
  const res = await client.post<{ id: string }>("/api/products", productBody({ sku, ...overrides }), admin);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  ids[sku] = res.body.id;
}

/** One paid order of these products, as the orders service announces it. */
async function paid(skus: string[], paidAt = new Date()): Promise<void> {
  const orderId = newId();
  const items = skus.map((sku) => ({ productId: ids[sku], sku, name: sku, unitPrice: 1000, quantity: 1, lineTotal: 1000 }));
  await bus.publish({ id: newId(), event: "order.paid", occurredAt: paidAt.toISOString(), payload: { orderId, userId: "user-x", status: "paid", order: { id: orderId, items } } });
}

const recommended = async (path: string, options = {}) => (await client.get<Recommendation[]>(path, options)).body;
const skusOf = (rows: Recommendation[]) => rows.map((row) => row.sku);
const forProduct = (sku: string, query = "") => recommended(`/api/products/${ids[sku]}/recommendations${query}`);

beforeAll(async () => {
  platform = await startCatalog({
    gateway: true,
    extra: [RecommendationsService, CurrencyService, cartService({ store: new MemoryCartStore({ ttlSec: 3600 }) })],
  });
  client = api(platform.baseUrl);
  bus = acquireBus(platform.broker);
  await create("RE-ANCHOR", { category: "rec-tests", price: 2000 });
  await create("RE-NEAR", { category: "rec-tests", price: 2100 });
  await create("RE-FAR", { category: "rec-tests", price: 3500 });
  await create("RE-SOLDOUT", { category: "rec-tests", price: 2000, stock: 0 });
  await create("RE-GONE", { category: "rec-tests", price: 2000 });
  await create("RE-PARTNER", { category: "rec-elsewhere", price: 9000 });
  await create("RE-SECOND", { category: "rec-elsewhere", price: 500 });
  await create("RE-OLD", { category: "rec-elsewhere", price: 500 });
  expect((await client.delete(`/api/products/${ids["RE-GONE"]}`, undefined, admin)).status).toBe(200);
});

afterAll(async () => {
  await releaseBus(platform.broker);
  await platform?.stop();
  await bus?.close();
});

describe("recommendations", () => {
  it("without history: same-category products nearest in price, never the product itself, sold out or archived ones", async () => {
    const rows = await forProduct("RE-ANCHOR");
    expect(skusOf(rows)).toEqual(["RE-NEAR", "RE-FAR"]);
    expect(rows.every((row) => row.reason === "similar")).toBe(true);
  });

  it("after paid orders that buy two products together, those come first, recent orders weighing more", async () => {
    await paid(["RE-ANCHOR", "RE-OLD"], new Date(Date.now() - YEAR_MS));
    await paid(["RE-ANCHOR", "RE-OLD"], new Date(Date.now() - YEAR_MS));
    await paid(["RE-ANCHOR", "RE-PARTNER"]);
    await paid(["RE-ANCHOR", "RE-PARTNER", "RE-SOLDOUT"]);
    await paid(["RE-ANCHOR", "RE-SECOND", "RE-GONE"]);
    await waitUntil(async () => (await forProduct("RE-ANCHOR", "?limit=10")).filter((r) => r.reason === "bought_together").length === 3, {
      description: "three products bought together with RE-ANCHOR",
      timeoutMs: 10_000,
    });
    const rows = await forProduct("RE-ANCHOR", "?limit=10");
    expect(skusOf(rows)).toEqual(["RE-PARTNER", "RE-SECOND", "RE-OLD", "RE-NEAR", "RE-FAR"]);
    expect(rows.map((r) => r.reason)).toEqual(["bought_together", "bought_together", "bought_together", "similar", "similar"]);
    // Co-purchase goes both ways.
    expect(skusOf(await forProduct("RE-PARTNER", "?limit=1"))).toEqual(["RE-ANCHOR"]);
  });

  it("counts an order delivered twice once", async () => {
    const day = new Date(Date.now() - 24 * 3600 * 1000);
    await paid(["RE-FAR", "RE-PARTNER"], day);
    await paid(["RE-FAR", "RE-PARTNER"], day);
    const orderId = newId();
    const payload = { orderId, userId: "user-x", status: "paid", order: { id: orderId, items: [{ productId: ids["RE-SECOND"] }, { productId: ids["RE-FAR"] }] } };
    const envelope = { id: newId(), event: "order.paid", occurredAt: new Date().toISOString(), payload };
    await bus.publish(envelope);
    await bus.publish({ ...envelope, id: newId() });
    await waitUntil(async () => skusOf(await forProduct("RE-FAR", "?limit=10")).includes("RE-SECOND"), { description: "the order counted", timeoutMs: 10_000 });
    await waitUntil(async () => (await bus.stats("recommendations"))?.pending === 0, { description: "both deliveries handled", timeoutMs: 10_000 });
    // Two orders of a day ago weigh a little under 2; the same order counted twice would weigh 2.
    expect(skusOf(await forProduct("RE-FAR", "?limit=2"))).toEqual(["RE-PARTNER", "RE-SECOND"]);
  });

  it("recommends for the cart's lines, leaving out what is already in it, with prices in the asked currency", async () => {
    expect((await client.post("/api/cart/items", { productId: ids["RE-ANCHOR"], quantity: 1 }, customer)).status).toBe(201);
    const rows = await recommended("/api/cart/recommendations?limit=2&currency=EUR", customer);
    expect(skusOf(rows)).toEqual(["RE-PARTNER", "RE-SECOND"]);
    expect(rows[0].display).toEqual({ amount: 8294, currency: "EUR" });
    expect((await client.get("/api/cart/recommendations")).status).toBe(401);
  });

  it("answers 404 for an unknown product and 422 naming the field for a bad limit or currency", async () => {
    expect((await client.get("/api/products/65a000000000000000000000/recommendations")).status).toBe(404);
    const limit = await client.get<{ data: { field: string }[] }>(`/api/products/${ids["RE-ANCHOR"]}/recommendations?limit=0`);
    expect(limit.status).toBe(422);
    expect(limit.body.data.map((d) => d.field)).toEqual(["limit"]);
    const currency = await client.get<{ data: { field: string }[] }>(`/api/products/${ids["RE-ANCHOR"]}/recommendations?currency=XYZ`);
    expect(currency.status).toBe(422);
    expect(currency.body.data.map((d) => d.field)).toEqual(["currency"]);
  });
});
