/**
 * The shipping routes through the gateway: anyone may ask for a quote, only
 * admins may look at and advance shipments; the rest of shipping is internal.
 */
import type { ServiceBroker } from "moleculer";
import { api, type ApiClient } from "../support/http";
import { ADDRESS, ADMIN_TOKEN, CUSTOMER_TOKEN, orderId, startShipping, type ShippingPlatform } from "./shipping-platform";

let platform: ShippingPlatform;
let client: ApiClient;
let broker: ServiceBroker;

const admin = { token: ADMIN_TOKEN };
const customer = { token: CUSTOMER_TOKEN };

async function shipment(): Promise<string> {
  const id = orderId();
  await broker.call("shipping.create", { orderId: id, userId: "user-customer", address: ADDRESS, method: "standard" });
  return id;
}

beforeAll(async () => {
  platform = await startShipping({ gateway: true });
  client = api(platform.baseUrl);
  broker = platform.broker;
});

afterAll(async () => {
  await platform?.stop();
});

describe("POST /api/admin/shipments/:orderId/advance", () => {
  it("moves the shipment one step for an admin", async () => {
    const id = await shipment();
    const res = await client.post<{ status: string; history: unknown[] }>(`/api/admin/shipments/${id}/advance`, undefined, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orderId: id, status: "in_transit" });
    expect(res.body.history).toHaveLength(2);
  });

  it("is 403 for a customer and 401 without a token, and moves nothing", async () => {
    const id = await shipment();
    expect((await client.post(`/api/admin/shipments/${id}/advance`, undefined, customer)).status).toBe(403);
    expect((await client.post(`/api/admin/shipments/${id}/advance`)).status).toBe(401);
    expect(await broker.call("shipping.get", { orderId: id })).toMatchObject({ status: "label_created" });
  });

  it("is 404 for an order without a shipment, 409 past delivered", async () => {
    expect((await client.post(`/api/admin/shipments/${orderId()}/advance`, undefined, admin)).status).toBe(404);
    const id = await shipment();
    for (let step = 0; step < 3; step++) expect((await client.post(`/api/admin/shipments/${id}/advance`, undefined, admin)).status).toBe(200);
    const res = await client.post(`/api/admin/shipments/${id}/advance`, undefined, admin);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 409, type: "INVALID_TRANSITION" });
  });
});

describe("GET /api/admin/shipments/:orderId", () => {
  it("shows an admin the shipment, and a customer nothing", async () => {
    const id = await shipment();
    const res = await client.get(`/api/admin/shipments/${id}`, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orderId: id, carrier: "ShopPost", status: "label_created" });
    expect((await client.get(`/api/admin/shipments/${id}`, customer)).status).toBe(403);
  });
});

describe("POST /api/shipping/quote", () => {
  it("prices a parcel for anyone, signed in or not (the storefront's cart)", async () => {
    const res = await client.post(`/api/shipping/quote`, { items: [{ productId: "p-book", quantity: 1 }], address: { country: "US" }, method: "express" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ method: "express", currency: "USD", zone: "domestic" });
    expect(typeof (res.body as { amount: unknown }).amount).toBe("number");
  });

  it("names the field a bad request got wrong", async () => {
    const res = await client.post(`/api/shipping/quote`, { items: [{ productId: "p-book", quantity: 1 }], address: { country: "Narnia" } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain("address.country");
  });
});

describe("internal actions", () => {
  it("have no route", async () => {
    const id = await shipment();
    expect((await client.post(`/api/shipping/cancel`, { orderId: id }, admin)).status).toBe(404);
  });
});
