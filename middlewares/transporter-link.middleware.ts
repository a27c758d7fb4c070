/**
 * Keeps `broker.transit.connected` in step with the NATS client's link, so
 * that the gateway's readiness (which reads it) answers 503 as soon as the
 * node loses NATS, not only once the other nodes' heartbeats have timed out.
 *
 * Moleculer's NATS transporter (for the nats 2.x client) sets `connected`
 * false only when the connection is closed for good; while the client is
 * reconnecting, which it does forever, the node still claims to be connected.
 * The client reports every disconnect and reconnect on its status stream:
 * this middleware follows that stream. Other transporters are left alone.
 */
import type { Middleware, ServiceBroker } from "moleculer";

interface NatsStatus {
  type: string;
}

interface NatsClient {
  status(): AsyncIterable<NatsStatus>;
}

interface LinkedTransit {
  connected: boolean;
  tx?: { client?: unknown };
}

function natsClientOf(transit: LinkedTransit | undefined): NatsClient | undefined {
  const client = transit?.tx?.client as Partial<NatsClient> | undefined;
  return typeof client?.status === "function" ? (client as NatsClient) : undefined;
}

/** Follows the client's status events until the connection closes. */
async function follow(broker: ServiceBroker, transit: LinkedTransit, client: NatsClient): Promise<void> {
  const logger = broker.getLogger("transporter-link");
  for await (const status of client.status()) {
    if (status.type === "disconnect" && transit.connected) {
      transit.connected = false;
      logger.warn("Lost the connection to NATS: this node reports itself disconnected until the client reconnects.");
    } else if (status.type === "reconnect" && !transit.connected) {
      transit.connected = true;
      logger.info("Reconnected to NATS.");
    }
  }
}

export const TransporterLinkMiddleware: Middleware = {
  name: "TransporterLink",
  started(broker: ServiceBroker) {
    const transit = broker.transit as unknown as LinkedTransit | undefined;
    const client = natsClientOf(transit);
    if (!transit || !client) return;
    void follow(broker, transit, client).catch((err: Error) => broker.getLogger("transporter-link").warn(`NATS status stream ended: ${err.message}`));
  },
} as Middleware;
