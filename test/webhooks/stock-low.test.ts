/**
 * stock.low reaches webhook receivers: the products service records it in
 * its outbox (durable), not only as a best-effort Moleculer event, so the
 * webhooks service gets it through its consumer group like the order events.
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
    const endpoint = await platform.broker.call<{ secret: string }, object>("webhooks.create", { url: receiver.url, events: ["stock.low"] }, { meta: { user: ADMIN } });
    receiver.trust([endpoint.secret]);
    const products = await platform.broker.call<{ rows: { id: string; sku: string; stock: number }[] }, object>("products.list", { pageSize: 50 });
    const product = products.rows.find((p) => p.stock > 5);
    expect(product).toBeDefined();

    await platform.broker.call("products.adjustStock", { id: product?.id, set: 2 }, { meta: { user: ADMIN } });
    await waitUntil(() => receiver.received.length === 1, { description: "the stock.low message", timeoutMs: 20_000 });
    expect(receiver.received[0].verified).toMatchObject({ type: "stock.low", data: { id: product?.id, sku: product?.sku, stock: 2, threshold: 5 } });
  });
});
