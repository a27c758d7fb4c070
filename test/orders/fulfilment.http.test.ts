/**
 * After the checkout, through the gateway with the real services: the
 * customer cancels (refund and restock), an admin ships, shipping reports
 * progress until delivery, and nobody sees another user's orders.
 */
import { waitUntil } from "../support/wait-until";
import { startOrdersPlatform, type OrdersPlatform, type Product, type PublicOrder, type Shopper } from "./orders-platform";

let shop: OrdersPlatform;
let admin: string;

beforeAll(async () => {
  shop = await startOrdersPlatform();
  admin = await shop.adminToken();
});

afterAll(async () => {
  await shop?.stop();
});

/** A shopper with a paid order of 2 units of a fresh product (stock 10). */
async function paidOrder(): Promise<{ shopper: Shopper; product: Product; order: PublicOrder }> {
  const shopper = await shop.shopper();
  const product = await shop.createProduct({ stock: 10 });
  await shop.addToCart(shopper, product.id, 2);
  const res = await shop.checkout(shopper);
  if (res.status !== 201) throw new Error(`checkout answered ${res.status}: ${res.text}`);
  return { shopper, product, order: res.body };
}

const cancel = (shopper: Shopper, id: string) => shop.http.post<PublicOrder>(`/orders/${id}/cancel`, undefined, { token: shopper.token });
const ship = (id: string) => shop.http.post<PublicOrder>(`/admin/orders/${id}/ship`, undefined, { token: admin });
const getOrder = (shopper: Shopper, id: string) => shop.http.get<PublicOrder>(`/orders/${id}`, { token: shopper.token });
const eventsOf = (orderId: string, event: string) => shop.events.filter((e) => e.event === event && e.payload.orderId === orderId);

describe("cancelling a paid order", () => {
  it("refunds the payment, puts the units back into stock and announces it", async () => {
    const { shopper, product, order } = await paidOrder();
    expect(await shop.levels(product.id)).toEqual({ stock: 8, reserved: 0 });

    const res = await cancel(shopper, order.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: order.id, status: "cancelled", payment: { status: "refunded" }, failureReason: "cancelled by the customer" });
    expect(res.body.history.map((h) => h.status)).toEqual(["pending", "paid", "cancelled"]);
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await shop.transactions(order.id)).toEqual([expect.objectContaining({ status: "refunded", refunded: order.total })]);
    await waitUntil(() => eventsOf(order.id, "order.cancelled").length === 1, { description: "order.cancelled", timeoutMs: 2000 });
  });

  it("twice changes nothing: the second answer is the cancelled order", async () => {
    const { shopper, product, order } = await paidOrder();
    const first = await cancel(shopper, order.id);
    const second = await cancel(shopper, order.id);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await shop.transactions(order.id)).toEqual([expect.objectContaining({ status: "refunded", refunded: order.total })]);
  });

  it("at the same time from several requests refunds and restocks once", async () => {
    const { shopper, product, order } = await paidOrder();
    const answers = await Promise.all(Array.from({ length: 5 }, () => cancel(shopper, order.id)));
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    expect(await shop.transactions(order.id)).toEqual([expect.objectContaining({ status: "refunded", refunded: order.total })]);
    await waitUntil(() => eventsOf(order.id, "order.cancelled").length >= 1, { description: "order.cancelled", timeoutMs: 2000 });
    expect(eventsOf(order.id, "order.cancelled")).toHaveLength(1);
  });

  it("is 404 for another user's order, which stays paid", async () => {
    const { shopper, order } = await paidOrder();
    const stranger = await shop.shopper();
    const res = await cancel(stranger, order.id);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ type: "NOT_FOUND" });
    expect((await getOrder(shopper, order.id)).body.status).toBe("paid");
  });
});

describe("shipping an order", () => {
  it("creates the shipment with tracking, marks the order shipped, and the customer can follow it", async () => {
    const { shopper, order } = await paidOrder();
    const res = await ship(order.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "shipped", shipment: { carrier: expect.any(String), trackingNumber: expect.any(String) } });
    expect(res.body.history.map((h) => h.status)).toEqual(["pending", "paid", "shipped"]);

    const shipment = await shop.http.get<{ carrier: string; trackingNumber: string; status: string; history: unknown[] }>(`/orders/${order.id}/shipment`, { token: shopper.token });
    expect(shipment.status).toBe(200);
    expect(shipment.body).toMatchObject({ orderId: order.id, carrier: res.body.shipment?.carrier, trackingNumber: res.body.shipment?.trackingNumber, status: "label_created" });
    expect(shipment.body.history).toHaveLength(1);
    await waitUntil(() => eventsOf(order.id, "order.shipped").length >= 1, { description: "order.shipped", timeoutMs: 2000 });
    expect(eventsOf(order.id, "order.shipped")).toHaveLength(1);
  });

  it("is for admins only", async () => {
    const { shopper, order } = await paidOrder();
    expect((await shop.http.post(`/admin/orders/${order.id}/ship`, undefined, { token: shopper.token })).status).toBe(403);
    expect((await shop.http.get("/admin/orders", { token: shopper.token })).status).toBe(403);
  });

  it("is 409 unless the order is paid", async () => {
    const { shopper, order } = await paidOrder();
    await cancel(shopper, order.id);
    const res = await ship(order.id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: "INVALID_TRANSITION" });
    expect((await ship("0123456789abcdef01234567")).status).toBe(404);
  });

  it("then cancelling is 409 ALREADY_SHIPPED: nothing is refunded", async () => {
    const { shopper, product, order } = await paidOrder();
    await ship(order.id);
    const res = await cancel(shopper, order.id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ type: "ALREADY_SHIPPED" });
    expect((await getOrder(shopper, order.id)).body.status).toBe("shipped");
    expect(await shop.levels(product.id)).toEqual({ stock: 8, reserved: 0 });
    expect(await shop.transactions(order.id)).toEqual([expect.objectContaining({ status: "captured" })]);
  });

  it("follows shipment.updated to delivered, once however often the event comes", async () => {
    const { shopper, order } = await paidOrder();
    await ship(order.id);
    for (let step = 0; step < 3; step++) {
      expect((await shop.http.post(`/admin/shipments/${order.id}/advance`, undefined, { token: admin })).status).toBe(200);
    }
    await waitUntil(async () => (await getOrder(shopper, order.id)).body.status === "delivered", { description: "the order to be delivered", timeoutMs: 3000 });
    const shipment = await shop.broker.call<Record<string, unknown>, { orderId: string }>("shipping.get", { orderId: order.id });
    // The same event again (a redelivery) changes nothing.
    await shop.broker.emit("shipment.updated", { orderId: order.id, userId: shopper.userId, status: "delivered", trackingNumber: shipment.trackingNumber, carrier: shipment.carrier, at: new Date().toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const delivered = (await getOrder(shopper, order.id)).body;
    expect(delivered.history.map((h) => h.status)).toEqual(["pending", "paid", "shipped", "delivered"]);
    expect(eventsOf(order.id, "order.delivered")).toHaveLength(1);
    expect((await shop.http.get<{ status: string }>(`/orders/${order.id}/shipment`, { token: shopper.token })).body.status).toBe("delivered");
  });

  it("marks a paid order shipped when shipping reports a shipment made elsewhere", async () => {
    const { shopper, order } = await paidOrder();
    await shop.broker.call("shipping.create", { orderId: order.id, userId: shopper.userId, address: order.shippingAddress, method: "standard" });
    await waitUntil(async () => (await getOrder(shopper, order.id)).body.status === "shipped", { description: "the order to be shipped", timeoutMs: 3000 });
    // It is no longer paid: the admin route has nothing left to ship.
    const res = await ship(order.id);
    expect(res.status).toBe(409);
    expect((await getOrder(shopper, order.id)).body.history.map((h) => h.status)).toEqual(["pending", "paid", "shipped"]);
  });
});

describe("isolation between users", () => {
  it("shows each user only their own orders: another's is 404, and never listed", async () => {
    const { shopper: owner, order } = await paidOrder();
    const stranger = await shop.shopper();
    expect((await getOrder(stranger, order.id)).status).toBe(404);
    expect((await shop.http.get(`/orders/${order.id}/shipment`, { token: stranger.token })).status).toBe(404);
    expect((await shop.http.get<{ total: number }>("/orders", { token: stranger.token })).body.total).toBe(0);
    expect((await getOrder(owner, order.id)).status).toBe(200);
    expect((await getOrder(owner, "0123456789abcdef01234567")).status).toBe(404);
  });

  it("gives admins every order, filtered by status", async () => {
    const { order } = await paidOrder();
    const res = await shop.http.get<{ rows: PublicOrder[]; total: number }>("/admin/orders?status=paid&pageSize=100", { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.rows.every((o) => o.status === "paid")).toBe(true);
    expect(res.body.rows.map((o) => o.id)).toContain(order.id);
    expect((await shop.http.get("/admin/orders?status=lost", { token: admin })).status).toBe(422);
  });

  it("filters admins' lists by the buyer's email and the placement dates", async () => {
    const { order } = await paidOrder();
    const listed = await shop.http.get<{ rows: (PublicOrder & { customer?: { email: string } })[] }>("/admin/orders?pageSize=100", { token: admin });
    const email = listed.body.rows.find((o) => o.id === order.id)?.customer?.email ?? "";
    expect(email).toMatch(/@example\.com$/);
    const byEmail = await shop.http.get<{ rows: PublicOrder[] }>(`/admin/orders?email=${encodeURIComponent(email.toUpperCase())}`, { token: admin });
    expect(byEmail.body.rows.map((o) => o.id)).toEqual([order.id]);
    const since = new Date(Date.parse(order.createdAt) + 1).toISOString();
    const later = await shop.http.get<{ rows: PublicOrder[] }>(`/admin/orders?pageSize=100&from=${since}`, { token: admin });
    expect(later.body.rows.map((o) => o.id)).not.toContain(order.id);
    expect((await shop.http.get<{ data: { field: string }[] }>(`/admin/orders?from=${since}&to=${order.createdAt}`, { token: admin })).status).toBe(422);
  });

  it("lets an admin read and cancel any customer's order: the shop cancelled it, refunded and restocked", async () => {
    const { product, order } = await paidOrder();
    expect((await shop.http.get<PublicOrder>(`/orders/${order.id}`, { token: admin })).body.id).toBe(order.id);
    const res = await shop.http.post<PublicOrder>(`/orders/${order.id}/cancel`, undefined, { token: admin });
    expect(res.body).toMatchObject({ id: order.id, status: "cancelled", payment: { status: "refunded" }, failureReason: "cancelled by the shop" });
    expect(await shop.levels(product.id)).toEqual({ stock: 10, reserved: 0 });
  });
});
