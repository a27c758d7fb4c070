/**
 * Readiness reflects the gateway's link to the cluster: with the private
 * nats-server killed, the gateway answers 503 on /api/health/ready with its
 * transporter reported down, and 200 again once NATS is back and the nodes
 * have found each other again. (No node for a route's service is covered in
 * test/cluster.)
 *
 * Two brokers in the test process, each with the platform's options, on a
 * private NATS: a gateway and a products node. Both run
 * middlewares/transporter-link.middleware.ts, which moleculer.config.ts is to
 * list (until then this suite adds it): without it a node keeps reporting
 * "connected" while the NATS client reconnects, and readiness turns 503 only
 * once the other nodes' heartbeats time out.
 */
import { ServiceBroker, type BrokerOptions, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import { TransporterLinkMiddleware } from "../../middlewares/transporter-link.middleware";
import ApiService from "../../services/api/api.service";
import ProductsService from "../../services/products/products.service";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { freePort } from "../support/ports";
import { api, type ApiResponse } from "../support/http";
import { waitUntil } from "../support/wait-until";

interface Report {
  ready: boolean;
  transporter: string;
  missing: string[];
}

function nodeOptions(transporter: string, namespace: string, nodeID: string): BrokerOptions {
  const options = brokerOptions(loadConfig({ NODE_ENV: "test", METRICS_PORT: "0", TRANSPORTER: transporter, NAMESPACE: namespace }));
  const middlewares = (options.middlewares ?? []).filter((mw) => (mw as { name?: string }).name !== TransporterLinkMiddleware.name);
  return { ...options, nodeID, logger: false, middlewares: [...middlewares, TransporterLinkMiddleware] };
}

describe("readiness when the NATS link drops", () => {
  let nats: NatsServer;
  let gateway: ServiceBroker;
  let products: ServiceBroker;
  let url: string;
  let last: ApiResponse<Report> | undefined;
  const ready = async () => (last = await api(url).get<Report>("/health/ready"));

  beforeAll(async () => {
    nats = await startNatsServer();
    const namespace = `ready-${process.pid}`;
    products = new ServiceBroker(nodeOptions(nats.url, namespace, "ready-products"));
    products.createService(ProductsService);
    gateway = new ServiceBroker(nodeOptions(nats.url, namespace, "ready-gateway"));
    const port = await freePort();
    gateway.createService({ name: "api", mixins: [ApiService], settings: { port, ip: "127.0.0.1", expectedServices: ["products"] } } as ServiceSchema);
    await Promise.all([products.start(), gateway.start()]);
    url = `http://127.0.0.1:${port}/api`;
    await waitUntil(async () => (await ready()).status === 200, { description: "the gateway to be ready", timeoutMs: 15_000 });
  }, 60_000);

  afterAll(async () => {
    // The brokers leave over NATS: bring it back if a failed test left it dead.
    if (nats && !nats.isRunning()) await nats.restart();
    await gateway?.stop();
    await products?.stop();
    await nats?.stop();
  });

  it("answers 503 while NATS is down, and 200 once it is back", async () => {
    await nats.kill();
    await waitUntil(async () => (await ready()).status === 503, { description: "readiness to answer 503", timeoutMs: 15_000 });
    // The report names the link, not services gone missing after heartbeats timed out.
    expect(last?.body).toMatchObject({ ready: false, transporter: "disconnected" });

    await nats.restart();
    await waitUntil(async () => (await ready()).status === 200, {
      description: `readiness to answer 200 again (last: ${JSON.stringify(last?.body)})`,
      timeoutMs: 30_000,
    });
    expect(last?.body).toMatchObject({ ready: true, transporter: "connected", missing: [] });
  });
});
