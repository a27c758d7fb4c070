/**
 * Durable event handlers for a service:
 *
 *   mixins: [ChannelsMixin<MyThis>({
 *     "order.paid": async function (event, ctx) { ... },               // default max deliveries
 *     "order.cancelled": { maxDeliveries: 3, async handler(event, ctx) { ... } },
 *   })]
 *
 * A handler gets the event envelope (`event.id` to dedupe, `event.payload`)
 * and a fresh Context carrying the producer's request id (`ctx.call` for
 * other services). Returning acks the event; throwing retries it later with
 * a growing delay, and after `maxDeliveries` it goes to the dead letters
 * (`PoisonEventError` sends it there at once). Delivery is at least once:
 * handlers must be idempotent.
 *
 * The consuming group is the service (its full name): every node running it
 * shares one durable consumer, so each event is handled by one node. The
 * service also gets two internal actions for operators (REPL:
 * `call notifications.deadLetters`, `call notifications.deadLettersReplay --seq 3`).
 *
 * Handlers live in the mixin's options rather than in a `channels:` schema
 * key: the key would need a declaration in types/moleculer.d.ts, and options
 * keep the handlers typed against the service's `this`.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { config } from "../platform/config";
import { acquireBus, releaseBus } from "../platform/events/bus-registry";
import { createDispatcher, type Route } from "../platform/events/dispatch";
import { assertEventName } from "../platform/events/names";
import type { DeadLetter, EventBus, EventEnvelope, Subscription } from "../platform/events/types";
import type { ShopSettings } from "../types/moleculer";
import { shopMetrics } from "../platform/broker/metrics";

export type ChannelHandler<S, P = any> = (this: S, event: EventEnvelope<P>, ctx: Context<P>) => Promise<void> | void;

export interface ChannelDefinition<S, P = any> {
  handler: ChannelHandler<S, P>;
  /** Overrides the mixin's maxDeliveries for this event. */
  maxDeliveries?: number;
}

export type ChannelHandlers<S> = Record<string, ChannelHandler<S> | ChannelDefinition<S>>;

export interface ChannelsOptions {
  /** The consuming group; defaults to the service's full name. Nodes of one group share the work. */
  group?: string;
  /** Deliveries before the dead letters (EVENTS_MAX_DELIVERIES). */
  maxDeliveries?: number;
  /** EVENTS_ACK_WAIT_MS */
  ackWaitMs?: number;
  /** EVENTS_RETRY_DELAY_MS */
  retryDelayMs?: number;
  /** EVENTS_MAX_IN_FLIGHT */
  maxInFlight?: number;
  /**
   * Between counts of the group's dead letters for shop_dead_letters, ms (also
   * counted at start, after each dead letter and after a replay); 0: not polled.
   */
  deadLetterPollMs?: number;
}

export interface ChannelsMethods {
  /** The group's oldest dead letters. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Publishes dead letters again for this group only; one by its `seq`, or all. Answers how many. */
  replayDeadLetters(seq?: number): Promise<number>;
}

interface ChannelsVars {
  channelBus?: EventBus;
  channelSubscription?: Subscription;
  channelGroup: string;
  deadLetterTimer?: NodeJS.Timeout;
}

interface ChannelsInternals extends ChannelsMethods {
  busInUse(): EventBus;
  countDeadLetters(): Promise<void>;
}

type ChannelsThis = Service<ShopSettings> & ChannelsVars & ChannelsInternals;

/** How often each node counts its group's dead letters (they also expire, after 30 days on NATS). */
const DEAD_LETTER_POLL_MS = 30_000;

type Lifecycle = (this: Service) => Promise<void>;

const asList = (value: unknown): Lifecycle[] => (value == null ? [] : Array.isArray(value) ? value : [value as Lifecycle]);

export function ChannelsMixin<S = Service>(handlers: ChannelHandlers<S>, options: ChannelsOptions = {}): Partial<ServiceSchema> {
  for (const event of Object.keys(handlers)) assertEventName(event);
  const maxDeliveries = options.maxDeliveries ?? config.eventsMaxDeliveries;
  const ackWaitMs = options.ackWaitMs ?? config.eventsAckWaitMs;
  const retryDelayMs = options.retryDelayMs ?? config.eventsRetryDelayMs;
  const maxInFlight = options.maxInFlight ?? config.eventsMaxInFlight;
  const deadLetterPollMs = options.deadLetterPollMs ?? DEAD_LETTER_POLL_MS;

  async function startConsuming(this: ChannelsThis): Promise<void> {
    const routes = new Map<string, Route>();
    for (const [event, def] of Object.entries(handlers)) {
      const { handler, maxDeliveries: own } = typeof def === "function" ? { handler: def, maxDeliveries: undefined } : def;
      routes.set(event, {
        maxDeliveries: own ?? maxDeliveries,
        handle: async (envelope) => {
          // A root context per event: `ctx.call` works and the producer's request id reaches these logs.
          const ctx = this.broker.ContextFactory.create(this.broker) as Context<any>;
          ctx.setParams(envelope.payload);
          ctx.requestID = envelope.requestId ?? envelope.id;
          await handler.call(this as unknown as S, envelope, ctx);
        },
      });
    }
    const bus = acquireBus(this.broker);
    this.channelBus = bus;
    const group = this.channelGroup;
    const dispatch = createDispatcher({
      group,
      routes,
      retryDelayMs,
      ackWaitMs,
      deadLetter: async (delivery, reason) => {
        await bus.deadLetter(group, delivery, reason);
        void this.countDeadLetters();
      },
      logger: this.logger,
    });
    try {
      this.channelSubscription = await bus.consume(group, { maxInFlight, ackWaitMs }, dispatch);
    } catch (err) {
      this.channelBus = undefined;
      await releaseBus(this.broker);
      throw err;
    }
    this.logger.info(`Consuming durable events ${[...routes.keys()].join(", ")} as group '${group}' (${bus.kind})`);
    if (this.broker.isMetricsEnabled()) {
      void this.countDeadLetters();
      if (deadLetterPollMs > 0) {
        this.deadLetterTimer = setInterval(() => void this.countDeadLetters(), deadLetterPollMs);
        this.deadLetterTimer.unref();
      }
    }
  }

  async function stopConsuming(this: ChannelsThis): Promise<void> {
    if (this.deadLetterTimer) clearInterval(this.deadLetterTimer);
    this.deadLetterTimer = undefined;
    const subscription = this.channelSubscription;
    this.channelSubscription = undefined;
    // Handlers in progress finish and ack before the service's own stopped() closes what they use.
    if (subscription) await subscription.stop();
    if (this.channelBus) {
      this.channelBus = undefined;
      await releaseBus(this.broker);
    }
  }

  const schema: Partial<ServiceSchema<ShopSettings, ChannelsInternals, ChannelsVars>> = {
    // Consuming starts after every other started() (the handlers' stores are open) and
    // stops before every other stopped() (stopped handlers run in reverse order).
    merged(merged: ServiceSchema) {
      merged.started = [...asList(merged.started), startConsuming as Lifecycle];
      merged.stopped = [...asList(merged.stopped), stopConsuming as Lifecycle];
    },

    created() {
      this.channelGroup = options.group ?? this.fullName;
    },

    actions: {
      /** The group's dead letters, oldest first: what failed, why, how often. */
      deadLetters: {
        visibility: "public",
        params: { limit: { type: "number", integer: true, min: 1, max: 1000, default: 100, convert: true }, $$strict: "remove" },
        handler(ctx: Context<{ limit: number }>) {
          return this.deadLetters(ctx.params.limit);
        },
      },
      /** How far behind the group is, and how many of its events are dead (the operator console's event view). */
      eventBacklog: {
        visibility: "public",
        params: { $$strict: "remove" },
        async handler() {
          const bus = this.busInUse();
          // A count that fails (NATS away) shows as unknown, not as an error page.
          const [stats, dead] = await Promise.all([bus.stats(this.channelGroup).catch(() => null), bus.deadLetterCount(this.channelGroup).catch(() => null)]);
          return { group: this.channelGroup, pending: stats?.pending ?? null, unacked: stats?.unacked ?? null, deadLetters: dead };
        },
      },
      /**
       * Hands dead letters back to the group: one (`seq`) or all. Not named
       * `...DeadLetters`: the REPL's `deadletters` command calls every action
       * whose name ends so, to list them.
       */
      deadLettersReplay: {
        visibility: "public",
        params: { seq: { type: "number", integer: true, min: 1, optional: true, convert: true }, $$strict: "remove" },
        async handler(ctx: Context<{ seq?: number }>) {
          return { replayed: await this.replayDeadLetters(ctx.params.seq) };
        },
      },
    },

    methods: {
      async deadLetters(limit = 100) {
        return this.busInUse().deadLetters(this.channelGroup, limit);
      },
      async replayDeadLetters(seq?: number) {
        const replayed = await this.busInUse().replay(this.channelGroup, seq);
        this.logger.info(`Replayed ${replayed} dead letter(s) of '${this.channelGroup}'`);
        await this.countDeadLetters();
        return replayed;
      },
      /**
       * shop_dead_letters of this group: what the shared dead-letter store
       * holds for it, so every node of the group reports the same count. A
       * failed count (NATS away) leaves the last value.
       */
      async countDeadLetters() {
        const bus = this.channelBus;
        if (!bus || !this.broker.isMetricsEnabled()) return;
        try {
          shopMetrics(this.broker).deadLetters(this.channelGroup, await bus.deadLetterCount(this.channelGroup));
        } catch (err) {
          this.logger.warn(`The dead letters of '${this.channelGroup}' were not counted: ${(err as Error).message}`);
        }
      },
      busInUse(): EventBus {
        if (!this.channelBus) throw new Error(`'${this.fullName}' is not consuming durable events (not started)`);
        return this.channelBus;
      },
    },
  };
  return schema as unknown as Partial<ServiceSchema>;
}
