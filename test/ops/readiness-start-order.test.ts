/**
 * Readiness when service groups start apart: the gateway and two groups of
 * services, each its own broker on a private NATS, started one after the
 * other in every order. Whatever the order, the gateway calls itself ready
 * soon after the last group is up.
 */
import { ServiceBroker, type BrokerOptions, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import ApiService from "../../services/api/api.service";
import ProductsService from "../../services/products/products.service";
import ShippingService from "../../services/shipping/shipping.service";
import { fakeUsersService } from "../support/fake-users";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { freePort } from "../support/ports";
import { api } from "../support/http";
import { waitUntil } from "../support/wait-until";

interface Report {
  ready: boolean;
  missing: string[];
  routesPending: string[];
}

type Group = "gateway" | "catalog" | "fulfilment";
const ORDERS: Group[][] = [
  ["gateway", "catalog", "fulfilment"],
  ["gateway", "fulfilment", "catalog"],
  ["catalog", "gateway", "fulfilment"],
  ["fulfilment", "gateway", "catalog"],
  ["catalog", "fulfilment", "gateway"],
  ["fulfilment", "catalog", "gateway"],
];

/** Waits for the gateway on `port` to answer /api/health/ready 200; a timeout quotes its last report. */
async function readyAt(port: number, what: string, timeoutMs: number): Promise<void> {
  let last: Report | undefined;
  await waitUntil(
    async () => {
      const res = await api(`http://127.0.0.1:${port}/api`).get<Report>("/health/ready");
      last = res.body;
      return res.status === 200;
    },
    { description: () => `${what} (last: ${JSON.stringify(last)})`, timeoutMs },
  );
}

function nodeOptions(transporter: string, namespace: string, nodeID: string): BrokerOptions {
  return { ...brokerOptions(loadConfig({ NODE_ENV: "test", METRICS_PORT: "0", TRANSPORTER: transporter, NAMESPACE: namespace })), nodeID, logger: false };
}

describe("readiness with service groups started apart", () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats?.stop());

  it.each(ORDERS.map((order) => [order.join(", then "), order]))("is ready once every group is up: %s", async (_name, order) => {
    const namespace = `order-${process.pid}-${order.map((g) => g[0]).join("")}`;
    const port = await freePort();
    const schemas: Record<Group, ServiceSchema<any, any, any>[]> = {
      gateway: [{ name: "api", mixins: [ApiService], settings: { port, ip: "127.0.0.1", expectedServices: ["products", "users", "shipping"] } } as ServiceSchema],
      catalog: [ProductsService, fakeUsersService({})],
      fulfilment: [ShippingService],
    };
    const brokers: ServiceBroker[] = [];
    try {
      for (const group of order) {
        const broker = new ServiceBroker(nodeOptions(nats.url, namespace, `${namespace}-${group}`));
        for (const schema of schemas[group]) broker.createService(schema);
        brokers.push(broker);
        await broker.start();
      }
      await readyAt(port, "readiness", 15_000);
    } finally {
      for (const broker of brokers.reverse()) await broker.stop();
    }
  }, 60_000);
});

describe("readiness while another node keeps restarting", () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats?.stop());

  it("builds the routes of a newly arrived service even while the registry keeps changing", async () => {
    const namespace = `flap-${process.pid}`;
    const port = await freePort();
    const gateway = new ServiceBroker(nodeOptions(nats.url, namespace, `${namespace}-gateway`));
    gateway.createService({ name: "api", mixins: [ApiService], settings: { port, ip: "127.0.0.1", expectedServices: ["shipping"] } } as ServiceSchema);
    await gateway.start();
    // A node in a crash loop (a group that keeps failing its start): it joins and leaves every few hundred ms.
    let flapping = true;
    const flapper = (async () => {
      for (let round = 0; flapping; round++) {
        const node = new ServiceBroker(nodeOptions(nats.url, namespace, `${namespace}-flapper-${round}`));
        node.createService({ name: "flaky", actions: { ping: () => "pong" } });
        await node.start();
        await node.stop();
      }
    })();
    const fulfilment = new ServiceBroker(nodeOptions(nats.url, namespace, `${namespace}-fulfilment`));
    fulfilment.createService(ShippingService);
    try {
      await fulfilment.start();
      await readyAt(port, "readiness while a node flaps", 10_000);
    } finally {
      flapping = false;
      await flapper;
      await fulfilment.stop();
      await gateway.stop();
    }
  }, 60_000);
});
