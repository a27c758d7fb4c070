/**
 * stock.low reaches webhook receivers: the products service writes it to
 * its outbox with the stock change that crosses the threshold (durable, once
 * per crossing), so the webhooks service gets it through its consumer group
 * like the order events, and a receiver gets one message per crossing.
 */
import type { ServiceSchema } from "moleculer";
import ProductsService from "../../services/products/products.service";
import { waitUntil } from "../support/wait-until";
import { startReceiver, type Receiver } from "./support/receiver";
import { ADMIN, startWebhooks, type WebhooksPlatform } from "./support/webhooks-platform";

describe("stock.low", () => {
  let platform: WebhooksPlatform;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    platform = await startWebhooks({ others: [{ name: "products", mixins: [ProductsService], settings: { lowStockThreshold: 5 } } as ServiceSchema] });
  });
  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
  });

  it("is delivered to a subscribed endpoint when an admin's write-off takes a product below the threshold", async () => {
    const endpoint = await platform.broker.call<{ id: string; secret: string }, object>("webhooks.create", { url: receiver.url, events: ["stock.low"] }, { meta: { user: ADMIN } });
    receiver.trust([endpoint.secret]);
    const products = await platform.broker.call<{ rows: { id: string; sku: string; stock: number }[] }, object>("products.list", { pageSize: 50 });
    const product = products.rows.find((p) => p.stock > 5);
    expect(product).toBeDefined();

    await platform.broker.call("products.adjustStock", { id: product?.id, set: 2 }, { meta: { user: ADMIN } });
    await waitUntil(() => receiver.received.length === 1, { description: "the stock.low message", timeoutMs: 20_000 });
    expect(receiver.received[0].verified).toMatchObject({ type: "stock.low", data: { id: product?.id, sku: product?.sku, stock: 2, threshold: 5 } });

    // Low already: nothing. Back above and down again: the next crossing, whose message is the proof that nothing came between.
    await platform.broker.call("products.adjustStock", { id: product?.id, delta: -1 }, { meta: { user: ADMIN } });
    await platform.broker.call("products.adjustStock", { id: product?.id, delta: 20 }, { meta: { user: ADMIN } });
    await platform.broker.call("products.adjustStock", { id: product?.id, delta: -18 }, { meta: { user: ADMIN } });
    await waitUntil(() => receiver.received.length >= 2, { description: "the second crossing's message", timeoutMs: 20_000 });
    const seen = await platform.broker.call<{ total: number }, object>("webhooks.deliveries", { id: endpoint.id, pageSize: 100 }, { meta: { user: ADMIN } });
    expect(seen.total).toBe(2);
    expect(receiver.received.map((r) => r.verified?.data.stock)).toEqual([2, 3]);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(2);
  });
});
