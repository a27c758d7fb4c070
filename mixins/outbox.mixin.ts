/**
 * Durable publishing for a DbMixin service (platform/events/outbox.ts explains the
 * protocol). The outbox is the `outbox` collection of the service's own
 * database; a relay publishes it to the durable event bus.
 *
 *   mixins: [DbMixin({ collection: "orders", ... }), OutboxMixin({ database: "orders" })]
 *
 *   // a state change and its event, never one without the other; the payload
 *   // made from the changed document, the event's id from the order (one per order):
 *   const order = await this.commitWithEvent("order.paid", (paid) => payloadOf(paid), (eventId) =>
 *     this.updateWhere({ _id: id, status: "pending" }, { $set: { status: "paid" }, $push: outboxMark(eventId) }), ctx, { key: id });
 *
 *   // an event on its own (or after a change its caller repeats idempotently):
 *   await this.publishDurable("payment.refunded", payload, ctx, { key: operationKey });
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { config } from "../platform/config";
import { openCollection, newId, storageKind, type DbAdapter } from "../platform/db/db-adapter";
import { acquireBus, releaseBus } from "../platform/events/bus-registry";
import { assertEventName } from "../platform/events/names";
import { OUTBOX_INDEXES, OUTBOX_MARK_FIELD, OutboxStore, outboxEventId, toEnvelope, type OutboxDoc } from "../platform/events/outbox";
import { CLAIM_MS, OutboxRelay } from "../platform/events/outbox-relay";
import { reasonText, type EventEnvelope } from "../platform/events/types";
import { shopMetrics } from "../platform/broker/metrics";

export interface OutboxOptions<S = Service> {
  /** The service's database (as given to its DbMixin): the outbox lives next to the state. */
  database: string;
  /**
   * Defaults to `outbox` in the service's database on MongoDB. NeDB names its
   * files after the collection alone (`<DATA_DIR>/<collection>.db`), so there
   * it is `<database>_outbox`: two services' outboxes must not share a file.
   */
  collection?: string;
  /**
   * Is the change of a pending entry stored? Asked after a crash between the
   * outbox write and the end of the change. Default: a document of the
   * service's own collection carries the event id in `outboxEvents`.
   */
  confirm?: (this: S, entry: OutboxDoc) => Promise<boolean>;
  /**
   * The payload of an entry that `commitWithEvent` wrote without one (its
   * payload is made from the changed document), made from the marked
   * document when the relay confirms the entry after a crash.
   */
  payloadOf?: (this: S, entry: OutboxDoc, changed: Record<string, unknown>) => Record<string, unknown>;
  /** OUTBOX_RELAY_INTERVAL, ms. */
  relayIntervalMs?: number;
  /** FAULT_CRASH_BEFORE_PUBLISH */
  crashBeforePublish?: boolean;
}

export interface EventIdentity {
  /**
   * What the event is the one event of (an order id for `order.paid`): its id
   * is made from it, so writing it again (a repeat after a crash) changes
   * nothing. Without a key every call is a new event.
   */
  key?: string;
}

export interface OutboxMethods {
  /** Records `event` as ready to publish and has it published; answers the event id. */
  publishDurable(event: string, payload: Record<string, unknown>, ctx?: Context, identity?: EventIdentity): Promise<string>;
  /**
   * Writes the event ahead, runs `change(eventId)` (which marks the changed
   * document with `outboxMark(eventId)`), and publishes the event if the
   * change answered a value; null/undefined means nothing changed and drops
   * the event. `payload` may be made from what `change` answered (the
   * service then gives OutboxMixin a `payloadOf` for crash recovery).
   * Answers what `change` answered.
   */
  commitWithEvent<T>(
    event: string,
    payload: Record<string, unknown> | ((changed: T) => Record<string, unknown>),
    change: (eventId: string) => Promise<T | null | undefined>,
    ctx?: Context,
    identity?: EventIdentity,
  ): Promise<T | null | undefined>;
  /** One relay pass now (tests, the REPL); answers how many events it published. */
  relayOutbox(): Promise<number>;
}

interface OutboxVars {
  outboxAdapter: DbAdapter;
  outbox: OutboxStore;
  outboxRelay?: OutboxRelay;
  outboxLagTimer?: NodeJS.Timeout;
  adapter: DbAdapter;
  measureOutboxLag(): Promise<void>;
  outboxLagSeconds(): Promise<number>;
  crashIfAsked(event: string, id: string): void;
  eventIdOf(event: string, identity?: EventIdentity): string;
}

type OutboxThis = Service & OutboxVars & OutboxMethods;
type Lifecycle = (this: Service) => Promise<void>;

const asList = (value: unknown): Lifecycle[] => (value == null ? [] : Array.isArray(value) ? value : [value as Lifecycle]);

/** The envelope of an entry written at `writtenAt`, as the relay makes it from the stored entry. */
function envelopeOf(entry: { id: string; event: string; payload: unknown; source: string; requestId?: string }, writtenAt: number): EventEnvelope {
  return toEnvelope({ ...entry, occurredAt: new Date(writtenAt).toISOString() });
}

export function OutboxMixin<S = Service>(options: OutboxOptions<S>): Partial<ServiceSchema> {
  const collection = options.collection ?? (storageKind() === "mongo" ? "outbox" : `${options.database}_outbox`);
  const intervalMs = options.relayIntervalMs ?? config.outboxRelayIntervalSec * 1000;
  const crashBeforePublish = options.crashBeforePublish ?? config.faultCrashBeforePublish;

  async function openOutbox(this: OutboxThis): Promise<void> {
    this.outboxAdapter = await openCollection(this, { collection, database: options.database, indexes: OUTBOX_INDEXES });
    this.outbox = new OutboxStore(this.outboxAdapter);
  }

  async function startRelay(this: OutboxThis): Promise<void> {
    const own = options.confirm;
    // The default confirmation looks the mark up: indexed, it stays one cheap query per recovered entry.
    if (!own) await this.adapter.ensureIndexes([{ fields: [OUTBOX_MARK_FIELD], sparse: true }]);
    const payloadOf = options.payloadOf;
    const confirm = own
      ? (entry: OutboxDoc) => own.call(this as unknown as S, entry)
      : async (entry: OutboxDoc) => {
          const marked = await this.adapter.findOne({ [OUTBOX_MARK_FIELD]: entry.id });
          if (!marked) return false;
          if (entry.payload != null || !payloadOf) return true;
          const changed = this.adapter.afterRetrieveTransformID(marked, "id") as Record<string, unknown>;
          return { payload: payloadOf.call(this as unknown as S, entry, changed) };
        };
    const bus = acquireBus(this.broker);
    this.outboxRelay = new OutboxRelay({ store: this.outbox, publish: (envelope) => bus.publish(envelope), confirm, logger: this.logger, intervalMs });
    this.outboxRelay.start();
    // The outbox lag gauge, measured on the relay's interval (and after each relayOutbox()).
    if (this.broker.isMetricsEnabled()) {
      void this.measureOutboxLag();
      this.outboxLagTimer = setInterval(() => void this.measureOutboxLag(), intervalMs);
      this.outboxLagTimer.unref();
    }
  }

  async function stopRelay(this: OutboxThis): Promise<void> {
    if (this.outboxLagTimer) clearInterval(this.outboxLagTimer);
    this.outboxLagTimer = undefined;
    if (!this.outboxRelay) return;
    await this.outboxRelay.stop();
    this.outboxRelay = undefined;
    await releaseBus(this.broker);
  }

  async function closeOutbox(this: OutboxThis): Promise<void> {
    await this.outboxAdapter?.disconnect();
  }

  return {
    // The store opens before every other started() (which may publish) and closes after every
    // other stopped(); the relay runs while the service's own collection is open.
    merged(schema: ServiceSchema) {
      schema.started = [openOutbox as Lifecycle, ...asList(schema.started), startRelay as Lifecycle];
      schema.stopped = [closeOutbox as Lifecycle, ...asList(schema.stopped), stopRelay as Lifecycle];
    },

    actions: {
      /** What this service has yet to publish (the operator console's outbox view). */
      outboxBacklog: {
        visibility: "public",
        params: { $$strict: "remove" },
        async handler(this: OutboxThis) {
          const [backlog, lag] = await Promise.all([this.outbox.backlog(), this.outboxLagSeconds()]);
          return { service: this.fullName, ...backlog, oldestReadyAgeSeconds: Math.round(lag * 10) / 10 };
        },
      },
    },

    methods: {
      async publishDurable(this: OutboxThis, event: string, payload: Record<string, unknown>, ctx?: Context, identity?: EventIdentity) {
        assertEventName(event);
        const id = this.eventIdOf(event, identity);
        const now = Date.now();
        const entry = { id, event, payload, source: this.fullName, requestId: ctx?.requestID ?? undefined };
        // Claimed by this producer while it publishes the entry (no relay can run without the service started).
        const relay = this.outboxRelay;
        const added = await this.outbox.add({ ...entry, status: "ready", claimedUntil: relay ? now + CLAIM_MS : undefined }, now);
        this.crashIfAsked(event, id);
        // false: written before (the same keyed event); it is published or on its way.
        if (added && relay) void relay.deliver(envelopeOf(entry, now), "ready");
        return id;
      },

      async commitWithEvent<T>(
        this: OutboxThis,
        event: string,
        payload: Record<string, unknown> | ((changed: T) => Record<string, unknown>),
        change: (eventId: string) => Promise<T | null | undefined>,
        ctx?: Context,
        identity?: EventIdentity,
      ) {
        assertEventName(event);
        const id = this.eventIdOf(event, identity);
        const later = typeof payload === "function";
        const now = Date.now();
        const requestId = ctx?.requestID ?? undefined;
        // An entry already there (a keyed event written before a crash) is kept and settled like a new one.
        const added = await this.outbox.add({ id, event, payload: later ? null : payload, status: "pending", source: this.fullName, requestId }, now);
        // A throw leaves the entry pending: the change may have been stored anyway (a timeout), the relay finds out.
        const result = await change(id);
        if (result == null) {
          if (!added) return result;
          await this.outbox.discard(id).catch((err: unknown) => this.logger.warn(`Outbox: ${event} ${id} not discarded, the relay will void it: ${reasonText(err)}`));
          return result;
        }
        this.crashIfAsked(event, id);
        const body = typeof payload === "function" ? payload(result) : payload;
        const relay = this.outboxRelay;
        // The usual case: published from here at once, the entry marked sent; the relay only picks up failures.
        if (added && relay) {
          void relay.deliver(envelopeOf({ id, event, payload: body, source: this.fullName, requestId }, now), "pending");
          return result;
        }
        try {
          await this.outbox.markReady(id, later ? body : undefined);
          relay?.trigger();
        } catch (err) {
          // The change is stored and the caller must hear so; the relay confirms the entry on its own.
          this.logger.warn(`Outbox: ${event} ${id} left pending, the relay will publish it: ${reasonText(err)}`);
        }
        return result;
      },

      async relayOutbox(this: OutboxThis) {
        if (!this.outboxRelay) throw new Error(`'${this.fullName}' has not started its outbox relay`);
        const published = await this.outboxRelay.runOnce();
        await this.measureOutboxLag();
        return published;
      },

      /**
       * shop_outbox_lag_seconds of this service: the age of its oldest event
       * that is ready (its change stored) and not yet published, 0 when none
       * is. Read from the shared outbox (one indexed query): every node of
       * the service reports the same lag. A failed read leaves the last value.
       */
      async measureOutboxLag(this: OutboxThis) {
        if (!this.broker.isMetricsEnabled() || !this.outbox) return;
        try {
          shopMetrics(this.broker).outboxLag(this.fullName, await this.outboxLagSeconds());
        } catch (err) {
          this.logger.warn(`Outbox: the lag was not measured: ${reasonText(err)}`);
        }
      },

      async outboxLagSeconds(this: OutboxThis) {
        const oldest = await this.outbox.oldestReady();
        const since = oldest ? Date.parse(String(oldest.occurredAt)) : NaN;
        return Number.isFinite(since) ? Math.max(0, (Date.now() - since) / 1000) : 0;
      },

      eventIdOf(this: OutboxThis, event: string, identity?: EventIdentity) {
        return identity?.key === undefined ? newId() : outboxEventId(this.fullName, event, identity.key);
      },

      crashIfAsked(this: OutboxThis, event: string, id: string) {
        if (!crashBeforePublish) return;
        // Written to a pipe or terminal synchronously: the line is out before the process is.
        this.logger.error(`FAULT_CRASH_BEFORE_PUBLISH: crashing after the outbox write of ${event} ${id}, before its publish`);
        process.kill(process.pid, "SIGKILL");
      },
    },
  } as unknown as Partial<ServiceSchema>;
}
