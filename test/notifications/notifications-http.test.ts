/**
 * GET /api/notifications through the gateway: the caller's own
 * notifications, newest first, paged as every list of docs/api.md.
 */
import { api, type ApiClient } from "../support/http";
import { ADA, BO, orderPaid, startNotifications, type NotificationsPlatform } from "./support/notifications-platform";

interface Page {
  rows: { id: string; kind: string; title: string; body: string; data: Record<string, unknown>; occurredAt: string }[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

describe("GET /api/notifications", () => {
  let platform: NotificationsPlatform;
  let client: ApiClient;
  const adaOrders: string[] = [];

  beforeAll(async () => {
    platform = await startNotifications({ gateway: true });
    client = api(platform.baseUrl);
    const start = Date.parse("2030-01-01T00:00:00.000Z");
    for (let i = 0; i < 25; i++) {
      const payload = orderPaid(ADA);
      adaOrders.push(payload.orderId as string);
      // One minute apart, in order: the inbox sorts by when the event happened, not by when it was handled.
      await platform.publish("order.paid", payload, { occurredAt: new Date(start + i * 60_000).toISOString() });
    }
    await platform.publish("user.registered", { id: BO.id, email: BO.email, name: BO.name });
    await platform.publish("order.shipped", { orderId: "65a0000000000000000000e1", userId: BO.id, carrier: "Parcelly", trackingNumber: "PX000000000042" });
    await platform.settled();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("lists the caller's notifications newest first, 20 per page by default", async () => {
    const res = await client.get<Page>("/api/notifications", { token: "token-ada" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 25, page: 1, pageSize: 20, totalPages: 2 });
    expect(res.body.rows).toHaveLength(20);
    expect(res.body.rows.map((n) => n.data.orderId)).toEqual([...adaOrders].reverse().slice(0, 20));
    expect(res.body.rows[0]).toEqual({
      id: expect.any(String),
      kind: "order_confirmation",
      title: expect.stringMatching(/^Order #[0-9A-F]{8} confirmed$/),
      body: expect.stringContaining("Total  $29.00"),
      data: { orderId: adaOrders[24], total: 2900, currency: "USD", itemCount: 2 },
      occurredAt: "2030-01-01T00:24:00.000Z",
      createdAt: expect.any(String),
    });
  });

  it("pages with page and pageSize, without repeating or skipping", async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => client.get<Page>(`/api/notifications?page=${page}&pageSize=10`, { token: "token-ada" })));
    expect(pages.map((p) => p.body.rows.length)).toEqual([10, 10, 5]);
    expect(pages[2].body).toMatchObject({ total: 25, page: 3, pageSize: 10, totalPages: 3 });
    expect(pages.flatMap((p) => p.body.rows.map((n) => n.data.orderId))).toEqual([...adaOrders].reverse());
    const beyond = await client.get<Page>("/api/notifications?page=4&pageSize=10", { token: "token-ada" });
    expect(beyond.body).toMatchObject({ rows: [], total: 25, page: 4 });
  });

  it("shows each user only their own notifications", async () => {
    const res = await client.get<Page>("/api/notifications", { token: "token-bo" });
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    expect(res.body.rows.map((n) => n.kind).sort()).toEqual(["order_shipped", "welcome"]);
    expect(res.body.rows.find((n) => n.kind === "order_shipped")?.body).toContain("Tracking number: PX000000000042");
  });

  it("is 401 without a valid token", async () => {
    expect((await client.get("/api/notifications")).status).toBe(401);
    expect((await client.get("/api/notifications", { token: "forged" })).status).toBe(401);
  });

  it("is 422 for a page size above 100 or a page below 1", async () => {
    const tooBig = await client.get<{ type: string }>("/api/notifications?pageSize=101", { token: "token-ada" });
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.type).toBe("VALIDATION_ERROR");
    expect((await client.get("/api/notifications?page=0", { token: "token-ada" })).status).toBe(422);
  });
});
