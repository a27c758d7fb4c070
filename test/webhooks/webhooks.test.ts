/**
 * Webhooks as an integrator sees them: endpoints managed under
 * /api/admin/webhooks, the shop's events arriving at a receiver on
 * 127.0.0.1 that verifies every message with the `standardwebhooks` package.
 */
import { waitUntil } from "../support/wait-until";
import { outboxEventId } from "../../platform/events/outbox";
import type { EventEnvelope } from "../../platform/events/types";
import { startReceiver, type Receiver } from "./support/receiver";
import { orderPaid, startWebhooks, type WebhooksPlatform } from "./support/webhooks-platform";

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  secret?: string;
  previousSecretValidUntil?: string;
}
interface Delivery {
  id: string;
  event: string;
  messageId: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastResponseBody: string | null;
  lastAttemptAt: string | null;
}
interface Page<T> {
  rows: T[];
  total: number;
}

const admin = { token: "token-admin" };

describe("webhooks", () => {
  let platform: WebhooksPlatform;
  let receiver: Receiver;

  beforeAll(async () => {
    platform = await startWebhooks();
  });
  afterAll(async () => {
    await platform?.stop();
  });
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.stop();
  });

  async function subscribe(events: string[]): Promise<Endpoint> {
    const res = await platform.http.post<Endpoint>("/admin/webhooks", { url: receiver.url, events, description: "warehouse" }, admin);
    expect(res.status).toBe(201);
    receiver.trust([res.body.secret as string]);
    return res.body;
  }

  const deliveriesOf = async (endpoint: Endpoint) => (await platform.http.get<Page<Delivery>>(`/admin/webhooks/${endpoint.id}/deliveries`, admin)).body.rows;

  it("delivers a paid order once, signed so that the standardwebhooks verifier accepts it", async () => {
    const endpoint = await subscribe(["order.paid"]);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const orderId = "65a0000000000000000000f1";
    const payload = orderPaid(orderId);
    // The id the orders service gives order.paid; handed over a second time, as at-least-once delivery allows.
    const envelope = await platform.publish("order.paid", payload, { id: outboxEventId("orders", "order.paid", orderId) });
    await (platform.service as unknown as { fanOut(e: EventEnvelope): Promise<number> }).fanOut(envelope);
    await platform.publish("order.shipped", { orderId, userId: "u1" });

    await waitUntil(async () => (await deliveriesOf(endpoint)).some((d) => d.status === "succeeded"), { description: "the delivery to succeed", timeoutMs: 20_000 });
    expect(receiver.received).toHaveLength(1);
    const [message] = receiver.received;
    expect(message.verified).toEqual({ type: "order.paid", timestamp: envelope.occurredAt, data: payload });
    expect(message.headers["webhook-id"]).toBe(`msg_${envelope.id}`);
    expect(message.headers["content-type"]).toBe("application/json");
    const [delivery, ...others] = await deliveriesOf(endpoint);
    expect(others).toEqual([]);
    expect(delivery).toMatchObject({ event: "order.paid", status: "succeeded", attempts: 1, lastStatusCode: 200, messageId: `msg_${envelope.id}` });
  });

  it("retries 500, 500, 200 with the same webhook-id and ends succeeded", async () => {
    const endpoint = await subscribe(["order.paid"]);
    receiver.answer([500, 500]);
    const envelope = await platform.publish("order.paid", orderPaid());

    await waitUntil(async () => (await deliveriesOf(endpoint))[0]?.status === "succeeded", { description: "the third attempt to succeed", timeoutMs: 20_000 });
    expect(receiver.received.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual(Array(3).fill(`msg_${envelope.id}`));
    expect(receiver.received.every((r) => r.verified !== null)).toBe(true);
    const [delivery] = await deliveriesOf(endpoint);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 3, lastStatusCode: 200 });
  });

  it("marks a delivery dead when the schedule is used up, keeps 1 KB of the answer, and sends it again on retry", async () => {
    const endpoint = await subscribe(["stock.low"]);
    // The first attempt and one per entry of the schedule (three).
    receiver.answer([503, 503, 503, 503]);
    await platform.publish("stock.low", { id: "p1", sku: "MUG", stock: 2, threshold: 5 });

    let seen: Delivery[] = [];
    await waitUntil(async () => (seen = await deliveriesOf(endpoint))[0]?.status === "dead", { description: () => `the delivery to die: ${JSON.stringify(seen)}`, timeoutMs: 20_000 });
    const [dead] = await deliveriesOf(endpoint);
    expect(dead).toMatchObject({ status: "dead", attempts: 4, lastStatusCode: 503 });
    expect(Buffer.byteLength(dead.lastResponseBody ?? "")).toBe(1024);

    const retried = await platform.http.post<Delivery>(`/admin/webhooks/${endpoint.id}/deliveries/${dead.id}/retry`, {}, admin);
    expect(retried.status).toBe(202);
    await waitUntil(async () => (await deliveriesOf(endpoint))[0]?.status === "succeeded", { description: "the retried delivery to succeed", timeoutMs: 20_000 });
    expect(receiver.received.map((r) => r.answered)).toEqual([503, 503, 503, 503, 200]);

    const again = await platform.http.post(`/admin/webhooks/${endpoint.id}/deliveries/${dead.id}/retry`, {}, admin);
    expect(again.status).toBe(409);
  });

  it("signs with both secrets while a rotated one overlaps, so receivers holding either verify", async () => {
    const endpoint = await subscribe(["order.cancelled"]);
    const oldSecret = endpoint.secret as string;
    const rotated = await platform.http.post<Endpoint>(`/admin/webhooks/${endpoint.id}/rotate-secret`, {}, admin);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previousSecretValidUntil as string)).toBeGreaterThan(Date.now() + 23 * 3600_000);

    receiver.trust([oldSecret]);
    await platform.publish("order.cancelled", { orderId: "o-1", userId: "u1" });
    await waitUntil(() => receiver.received.length === 1, { description: "the first message", timeoutMs: 20_000 });
    receiver.trust([newSecret]);
    await platform.publish("order.cancelled", { orderId: "o-2", userId: "u1" });
    await waitUntil(() => receiver.received.length === 2, { description: "the second message", timeoutMs: 20_000 });

    expect(receiver.received.map((r) => r.verified?.data.orderId)).toEqual(["o-1", "o-2"]);
    expect(receiver.received.map((r) => r.headers["webhook-signature"].split(" ").length)).toEqual([2, 2]);
    const listed = await platform.http.get<Page<Endpoint>>("/admin/webhooks", admin);
    expect(JSON.stringify(listed.body)).not.toContain(newSecret.slice(6));
  });

  it("keeps one order's deliveries in order: a later event waits while an earlier one is retried", async () => {
    const endpoint = await subscribe(["order.paid", "order.shipped"]);
    receiver.answer([500, 500]);
    const orderId = "65a0000000000000000000f2";
    const paidAt = new Date().toISOString();
    await platform.publish("order.paid", orderPaid(orderId), { occurredAt: paidAt });
    await platform.publish("order.shipped", { orderId, userId: "u1" }, { occurredAt: new Date(Date.parse(paidAt) + 1).toISOString() });

    await waitUntil(async () => (await deliveriesOf(endpoint)).every((d) => d.status === "succeeded") && receiver.received.length >= 4, { description: "both deliveries", timeoutMs: 20_000 });
    expect(receiver.received.map((r) => `${r.verified?.type} ${r.answered}`)).toEqual(["order.paid 500", "order.paid 500", "order.paid 200", "order.shipped 200"]);
  });

  it("sends a webhook.test event on demand", async () => {
    const endpoint = await subscribe(["order.paid"]);
    const res = await platform.http.post<Delivery>(`/admin/webhooks/${endpoint.id}/test`, {}, admin);
    expect(res.status).toBe(202);
    await waitUntil(() => receiver.received.length === 1, { description: "the test message", timeoutMs: 20_000 });
    expect(receiver.received[0].verified).toMatchObject({ type: "webhook.test", data: { endpointId: endpoint.id } });
  });

  it("lists endpoints with their backlog, changes and deletes them", async () => {
    const endpoint = await subscribe(["order.delivered"]);
    const listed = await platform.http.get<Page<Endpoint & { backlog: number; dead: number }>>("/admin/webhooks?pageSize=100", admin);
    expect(listed.body.rows.find((row) => row.id === endpoint.id)).toMatchObject({ url: receiver.url, events: ["order.delivered"], enabled: true, backlog: 0, dead: 0 });
    const changed = await platform.http.patch<Endpoint>(`/admin/webhooks/${endpoint.id}`, { events: ["order.delivered", "order.shipped"], enabled: false }, admin);
    expect(changed.body).toMatchObject({ events: ["order.delivered", "order.shipped"], enabled: false, disabledReason: "disabled by an admin" });
    expect((await platform.http.delete(`/admin/webhooks/${endpoint.id}`, undefined, admin)).status).toBe(200);
    expect((await platform.http.get(`/admin/webhooks/${endpoint.id}`, admin)).status).toBe(404);
  });

  it("documents the admin routes in the OpenAPI document, for admins", async () => {
    const doc = await platform.http.get<{ paths: Record<string, Record<string, { description?: string }>> }>("/openapi.json");
    for (const [path, method] of [
      ["/api/admin/webhooks", "post"],
      ["/api/admin/webhooks", "get"],
      ["/api/admin/webhooks/{id}", "patch"],
      ["/api/admin/webhooks/{id}", "delete"],
      ["/api/admin/webhooks/{id}/rotate-secret", "post"],
      ["/api/admin/webhooks/{id}/deliveries", "get"],
      ["/api/admin/webhooks/{id}/deliveries/{deliveryId}/retry", "post"],
      ["/api/admin/webhooks/{id}/test", "post"],
    ]) {
      expect([path, method, doc.body.paths[path]?.[method]?.description]).toEqual([path, method, expect.stringContaining("Needs a Bearer token of the role admin.")]);
    }
  });

  it("is for admins only, and refuses bad input naming the field", async () => {
    expect((await platform.http.get("/admin/webhooks", { token: "token-customer" })).status).toBe(403);
    expect((await platform.http.get("/admin/webhooks")).status).toBe(401);
    const badEvent = await platform.http.post<{ data: { field: string }[] }>("/admin/webhooks", { url: receiver.url, events: ["order.lost"] }, admin);
    expect(badEvent.status).toBe(422);
    expect(badEvent.body.data.map((d) => d.field)).toEqual(["events[0]"]);
    const badUrl = await platform.http.post<{ data: { field: string }[] }>("/admin/webhooks", { url: "ftp://example.com/x", events: ["order.paid"] }, admin);
    expect(badUrl.status).toBe(422);
    expect(badUrl.body.data.map((d) => d.field)).toEqual(["url"]);
    expect((await platform.http.patch("/admin/webhooks/nope", { enabled: false }, admin)).status).toBe(404);
  });
});
