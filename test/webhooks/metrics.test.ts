/**
 * The webhooks service's metrics: deliveries by outcome, attempts by HTTP
 * result, attempt durations, and the backlog per endpoint, as the registry
 * of a node with metrics on holds them after a delivery that failed once.
 */
import { randomBytes } from "node:crypto";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import { SHOP_METRICS } from "../../platform/broker/metrics";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import { newId } from "../../platform/db/db-adapter";
import WebhooksService from "../../services/webhooks/webhooks.service";
import { freePort } from "../support/ports";
import { waitUntil } from "../support/wait-until";
import { startReceiver, type Receiver } from "./support/receiver";
import { ADMIN, FAST_RETRIES, orderPaid } from "./support/webhooks-platform";

describe("webhook metrics", () => {
  let broker: ServiceBroker;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    const cfg = loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: String(await freePort()) });
    broker = new ServiceBroker({ ...brokerOptions({ ...cfg, transporter: undefined, nodeID: undefined }), nodeID: `webhook-metrics-${randomBytes(3).toString("hex")}`, logger: false });
    broker.createService({ name: "webhooks", mixins: [WebhooksService], settings: FAST_RETRIES } as ServiceSchema);
    await broker.start();
  });
  afterAll(async () => {
    await releaseBus(broker);
    await broker?.stop();
    await receiver?.stop();
  });

  const value = (name: string, labels: Record<string, string> = {}) => (broker.metrics.getMetric(name)?.get(labels) as { value?: number; count?: number } | undefined) ?? {};

  it("count a retried delivery's attempts by outcome and result, time them, and follow the backlog", async () => {
    const endpoint = await broker.call<{ id: string }, object>("webhooks.create", { url: receiver.url, events: ["order.paid"] }, { meta: { user: ADMIN } });
    receiver.answer([500]);
    const bus = acquireBus(broker);
    await bus.publish({ id: newId(), event: "order.paid", payload: orderPaid(), occurredAt: new Date().toISOString() });

    await waitUntil(() => value(SHOP_METRICS.WEBHOOK_DELIVERIES, { outcome: "succeeded" }).value === 1, { description: "the delivery to succeed", timeoutMs: 20_000 });
    expect(value(SHOP_METRICS.WEBHOOK_DELIVERIES, { outcome: "retrying" }).value).toBe(1);
    expect(value(SHOP_METRICS.WEBHOOK_ATTEMPTS, { result: "5xx" }).value).toBe(1);
    expect(value(SHOP_METRICS.WEBHOOK_ATTEMPTS, { result: "2xx" }).value).toBe(1);
    expect(value(SHOP_METRICS.WEBHOOK_LATENCY).count).toBe(2);
    await waitUntil(() => value(SHOP_METRICS.WEBHOOK_BACKLOG, { endpoint: endpoint.id }).value === 0, { description: "an empty backlog", timeoutMs: 5_000 });
  });
});
