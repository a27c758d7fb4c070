/**
 * The two durable buses behind one test interface, so one suite checks both
 * for the same behaviour:
 * - "memory": one broker without transporter; each consumer "node" is a
 *   service of its own name in that broker, joined to a group by option;
 * - "nats": a private nats-server with JetStream; each consumer node is a
 *   broker of its own on it (as separate processes would be).
 * Events are published straight onto the bus (the outbox has suites of its own).
 */
import { randomBytes } from "node:crypto";
import { ServiceBroker, type Service, type ServiceSchema } from "moleculer";
import { ChannelsMixin, type ChannelHandlers, type ChannelsMethods, type ChannelsOptions } from "../../../mixins/channels.mixin";
import { acquireBus, releaseBus } from "../../../platform/events/bus-registry";
import type { EventBus, EventEnvelope, GroupStats } from "../../../platform/events/types";
import { newId } from "../../../platform/db/db-adapter";
import { startNatsServer, type NatsServer } from "../../support/nats-server";

export type BusKind = "memory" | "nats";

export interface ConsumerNode {
  readonly service: Service & ChannelsMethods;
  stop(): Promise<void>;
}

export interface BusHarness {
  readonly kind: BusKind;
  readonly bus: EventBus;
  /** The Moleculer namespace the streams are named after. */
  readonly namespace: string;
  /** The private NATS, on the nats bus. */
  readonly natsUrl: string | undefined;
  /** One more node of `group` with these handlers. */
  startConsumer(group: string, handlers: ChannelHandlers<Service>, options?: ChannelsOptions): Promise<ConsumerNode>;
  publish(event: string, payload: Record<string, unknown>): Promise<EventEnvelope>;
  stats(group: string): Promise<GroupStats | null>;
  stop(): Promise<void>;
}

/** Fast retries and a short ack wait: the suites wait for outcomes, never for the clock. */
export const FAST: ChannelsOptions = { retryDelayMs: 20, ackWaitMs: 2000, maxInFlight: 5, maxDeliveries: 3 };

const randomId = () => randomBytes(4).toString("hex");

function quietBroker(options: Record<string, unknown>): ServiceBroker {
  return new ServiceBroker({ logger: false, skipProcessEventRegistration: true, heartbeatInterval: 1, heartbeatTimeout: 3, ...options });
}

/**
 * Moleculer announces service changes through a 1 s debounce that outlives
 * a broker stopped sooner and keeps a jest worker from exiting. A stopped
 * broker has nobody left to tell: it is cancelled.
 */
export function forgetServiceChanges(broker: ServiceBroker): void {
  (broker as unknown as { localServiceChanged?: { cancel?: () => void } }).localServiceChanged?.cancel?.();
}

/** Stops a broker for good (see forgetServiceChanges). */
export async function stopBroker(broker: ServiceBroker): Promise<void> {
  await broker.stop();
  forgetServiceChanges(broker);
}

function consumerSchema(name: string, group: string, handlers: ChannelHandlers<Service>, options?: ChannelsOptions): ServiceSchema {
  return { name, mixins: [ChannelsMixin(handlers, { ...FAST, ...options, group })] } as ServiceSchema;
}

export async function startBusHarness(kind: BusKind): Promise<BusHarness> {
  const namespace = `test-${randomId()}`;
  let nats: NatsServer | undefined;
  if (kind === "nats") nats = await startNatsServer();
  const transporter = nats?.url;
  // Publishes (and, in memory mode, hosts every consumer).
  const home = quietBroker({ namespace, nodeID: `home-${randomId()}`, transporter });
  await home.start();
  const bus = acquireBus(home);
  const nodes: ConsumerNode[] = [];
  let counter = 0;

  return {
    kind,
    bus,
    namespace,
    natsUrl: transporter,
    async startConsumer(group, handlers, options) {
      const name = `consumer${++counter}`;
      let node: ConsumerNode;
      if (kind === "memory") {
        const service = home.createService(consumerSchema(name, group, handlers, options)) as Service & ChannelsMethods;
        await home.waitForServices([name], 10_000, 20);
        node = { service, stop: () => home.destroyService(service) };
      } else {
        const broker = quietBroker({ namespace, nodeID: `${name}-${randomId()}`, transporter });
        const service = broker.createService(consumerSchema(name, group, handlers, options)) as Service & ChannelsMethods;
        await broker.start();
        node = { service, stop: () => stopBroker(broker) };
      }
      nodes.push(node);
      return node;
    },
    async publish(event, payload) {
      const envelope: EventEnvelope = { id: newId(), event, payload, occurredAt: new Date().toISOString(), source: "test" };
      await bus.publish(envelope);
      return envelope;
    },
    stats: (group) => bus.stats(group),
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
      await releaseBus(home);
      if (kind === "memory") await bus.close();
      await stopBroker(home);
      await nats?.stop();
    },
  };
}
