/**
 * One event bus per broker, shared by every service of the node that
 * publishes or consumes durable events: one NATS connection per node, and in
 * embedded mode one in-process bus that producers and consumers both see.
 *
 * Which bus follows the broker's transporter (TRANSPORTER): none means the
 * in-process bus (Moleculer's Fake transporter, nodes of one process: one
 * in-process bus they share); NATS means JetStream on that same server. Any other
 * transporter is refused at start: events would silently stay on one node.
 */
import { natsAuthOptions } from "../nats-connection";
import type { ServiceBroker } from "moleculer";
import { config } from "../config";
import { MemoryBus } from "./memory-bus";
import { eventNames } from "./names";
import { NatsBus } from "./nats-bus";
import type { EventBus } from "./types";

interface Entry {
  bus: EventBus;
  users: number;
}

const buses = new WeakMap<ServiceBroker, Entry>();

/**
 * NATS server URLs of a transporter option (`nats://...`, a comma list, or
 * `{ type: "NATS", options: { url | servers } }`); null when there is none.
 */
export function natsServers(transporter: unknown): string[] | null {
  if (transporter == null || transporter === "") return null;
  if (typeof transporter === "string") {
    const urls = transporter.split(",").map((s) => s.trim()).filter(Boolean);
    if (urls.length > 0 && urls.every((url) => /^(nats|tls):\/\//i.test(url))) return urls;
    if (transporter.toUpperCase() === "NATS") return ["nats://localhost:4222"];
  } else if (typeof transporter === "object") {
    const { type, options } = transporter as { type?: unknown; options?: { url?: unknown; servers?: unknown } };
    if (typeof type === "string" && type.toUpperCase() === "NATS") {
      if (typeof options?.url === "string") return natsServers(options.url);
      if (Array.isArray(options?.servers)) return options.servers.map(String);
      return ["nats://localhost:4222"];
    }
  }
  throw new Error(`Durable events run on NATS JetStream (or in process without a transporter); the transporter ${JSON.stringify(transporter)} is not NATS`);
}

/** Brokers on Moleculer's in-process Fake transporter (nodes of one process): one in-process bus per namespace, as they share one process. */
const fakeTransportBuses = new Map<string, MemoryBus>();

function isFakeTransporter(transporter: unknown): boolean {
  const type = typeof transporter === "object" && transporter !== null ? (transporter as { type?: unknown }).type : transporter;
  return typeof type === "string" && type.toLowerCase() === "fake";
}

function createBus(broker: ServiceBroker): EventBus {
  const names = eventNames(broker.namespace);
  if (isFakeTransporter(broker.options.transporter)) {
    let shared = fakeTransportBuses.get(broker.namespace);
    if (!shared) fakeTransportBuses.set(broker.namespace, (shared = new MemoryBus(names)));
    return shared;
  }
  const servers = natsServers(broker.options.transporter);
  if (!servers) return new MemoryBus(names);
  return new NatsBus({ servers, auth: natsAuthOptions(config), names, connectionName: `${broker.nodeID} durable events`, replicas: config.jetstreamReplicas, logger: broker.getLogger("EVENTS") });
}

/** The node's bus; each acquire is paired with a release when the service stops. */
export function acquireBus(broker: ServiceBroker): EventBus {
  let entry = buses.get(broker);
  if (!entry) {
    entry = { bus: createBus(broker), users: 0 };
    buses.set(broker, entry);
  }
  entry.users++;
  return entry.bus;
}

/**
 * The last service of the node to let go closes a NATS connection. The
 * in-process bus stays with its broker: a hot-reloaded service must find the
 * events published while it was away.
 */
export async function releaseBus(broker: ServiceBroker): Promise<void> {
  const entry = buses.get(broker);
  if (!entry) return;
  entry.users--;
  if (entry.users > 0 || entry.bus.kind === "memory") return;
  buses.delete(broker);
  await entry.bus.close();
}
