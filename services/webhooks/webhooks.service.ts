/**
 * webhooks: other systems subscribe to the shop's events over HTTPS, signed
 * the Standard Webhooks way (webhook-signature.ts; docs/webhooks.md for
 * receivers). Admins manage endpoints under /api/admin/webhooks.
 *
 * The shop's events (webhook-events.ts) are consumed durably, as one
 * consuming group: an event raised while no webhooks node runs waits in the
 * stream. Consuming an event writes one delivery per subscribed endpoint
 * (webhook-deliveries.ts) and acks; from then on the delivery log is what
 * is durable, and every webhooks node works through its due deliveries:
 * attempts with a timeout, retries on the configured schedule with jitter,
 * dead after the last, per-order ordering per endpoint. An endpoint that
 * fails every attempt for WEBHOOKS_DISABLE_AFTER is disabled and the admin
 * who created it is told (the durable `webhook.disabled` event, which the
 * notifications service delivers).
 *
 * Owns the `webhook_endpoints` and `webhook_deliveries` collections of the
 * `webhooks` database (and its outbox).
 */
import { answer } from "../../contracts/rest/answers";
import type { Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { ChannelsMixin, type ChannelHandler, type ChannelsMethods } from "../../mixins/channels.mixin";
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import { config, parseDurationList } from "../../platform/config";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { openCollection, type DbAdapter } from "../../platform/db/db-adapter";
import { PoisonEventError } from "../../platform/events/dispatch";
import { newId } from "../../platform/db/db-adapter";
import { reasonText, type EventEnvelope } from "../../platform/events/types";
import { shopMetrics } from "../../platform/broker/metrics";
import { PAGE_PARAMS, toPage, type Page } from "../../contracts/paging";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { ENDPOINT_INDEXES, publicEndpoint, rotation, signingSecrets, type EndpointDoc, type PublicEndpoint } from "./webhook-endpoints";
import { DELIVERY_INDEXES, DeliveryLog, publicDelivery, type DeliveryDoc, type DeliveryStatus, type PublicDelivery } from "./webhook-deliveries";
import { isWebhookEvent, messageBody, messageIdOf, orderKeyOf, TEST_EVENT, WEBHOOK_EVENTS } from "./webhook-events";
import { retryDelay } from "./webhook-schedule";
import { sendWebhook, type AttemptResult, type SendWebhook } from "./webhook-sender";
import { newSecret, webhookHeaders } from "./webhook-signature";
import { endpointUrlProblem, type UrlPolicy } from "./webhook-url";
import { webhooksInProduction } from "./webhook-production";

export interface WebhooksSettings extends ShopSettings {
  /** https only (production). */
  requireHttps: boolean;
  allowPrivate: boolean;
  /** "5s,5m,30m": a string, as Moleculer would merge an array setting entry by entry into the default. */
  retrySchedule: string;
  timeoutMs: number;
  disableAfterMs: number;
  secretOverlapMs: number;
  /** Between looks for due deliveries, ms. */
  pollIntervalMs: number;
  /** Deliveries one node sends at once. */
  concurrency: number;
}

interface WebhooksVars {
  deliveries: DeliveryLog;
  deliveryStore: DbAdapter;
  pollTimer?: NodeJS.Timeout;
  working?: Promise<void>;
  again: boolean;
  /** The HTTP attempt; tests may put a stand-in here. */
  send: SendWebhook;
  retryScheduleMs: number[];
  now: () => number;
}

interface WebhooksMethods extends DbMethods, ChannelsMethods, OutboxMethods {
  fanOut(envelope: EventEnvelope): Promise<number>;
  endpointOf(id: string): Promise<EndpointDoc>;
  urlPolicy(): UrlPolicy;
  checkUrl(url: string): void;
  workSoon(): void;
  workThroughDue(): Promise<void>;
  deliver(doc: DeliveryDoc): Promise<void>;
  recordFailure(endpoint: EndpointDoc, now: number): Promise<void>;
  measureBacklog(endpointIds: string[]): Promise<void>;
}

type WebhooksThis = Service<WebhooksSettings> & WebhooksVars & WebhooksMethods;

interface CreateParams {
  url: string;
  events: string[];
  description?: string;
}
type UpdateParams = Partial<CreateParams> & { id: string; enabled?: boolean };

const ID = { type: "string", min: 1, max: 100, pattern: /^[A-Za-z0-9_-]+$/ };
const URL_RULE = { type: "string", min: 1, max: 2048, trim: true };
const EVENTS_RULE = { type: "array", min: 1, max: WEBHOOK_EVENTS.length, unique: true, items: { type: "enum", values: [...WEBHOOK_EVENTS] } };
const DESCRIPTION_RULE = { type: "string", max: 500, trim: true };
/** Due deliveries read per look; the next look takes the rest. */
const BATCH = 50;
/** Over the attempt's timeout before another node may take a delivery whose node went quiet. */
const LEASE_MARGIN_MS = 5_000;

const fanOut: ChannelHandler<WebhooksThis> = function (envelope) {
  return this.fanOut(envelope).then(() => undefined);
};

/** 2xx, 4xx...; `error` when there was no answer. */
const resultClass = (result: AttemptResult) => (result.statusCode ? `${Math.floor(result.statusCode / 100)}xx` : "error");

const WebhooksService: ServiceSchema<WebhooksSettings, WebhooksMethods, WebhooksVars> = {
  name: "webhooks",
  mixins: [
    DbMixin({ collection: "webhook_endpoints", database: "webhooks", indexes: ENDPOINT_INDEXES }),
    OutboxMixin({ database: "webhooks" }),
    ChannelsMixin<WebhooksThis>(Object.fromEntries(WEBHOOK_EVENTS.map((event) => [event, fanOut]))),
  ],

  settings: {
    rest: "/",
    requireHttps: webhooksInProduction(config),
    allowPrivate: config.webhooksAllowPrivate,
    retrySchedule: config.webhooksRetrySchedule,
    timeoutMs: config.webhooksTimeoutMs,
    disableAfterMs: config.webhooksDisableAfterSec * 1000,
    secretOverlapMs: config.webhooksSecretOverlapSec * 1000,
    pollIntervalMs: config.webhooksPollIntervalMs,
    concurrency: 10,
  },

  actions: {
    /** Subscribe an endpoint to events; answers its secret, shown this once. */
    create: {
      rest: "POST /admin/webhooks",
      openapi: { summary: "Subscribe an endpoint to the shop's events", description: "Answers the endpoint with its signing secret (`whsec_…`), shown this once. The URL must be https and reach a public address in production.", responses: { 201: answer("WebhookEndpoint", "The endpoint and its secret", ["Location"]) } },
      roles: ["admin"],
      params: { url: URL_RULE, events: EVENTS_RULE, description: { ...DESCRIPTION_RULE, optional: true }, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<CreateParams>): Promise<PublicEndpoint & { secret: string }> {
        this.checkUrl(ctx.params.url);
        const at = new Date(this.now()).toISOString();
        const user = ctx.meta.user;
        const secret = newSecret();
        const doc = (await this.insertEntity({
          url: ctx.params.url,
          events: ctx.params.events,
          description: ctx.params.description ?? "",
          enabled: true,
          secret,
          ...(user ? { createdBy: { userId: user.id, email: user.email, name: user.name } } : {}),
          createdAt: at,
          updatedAt: at,
        })) as EndpointDoc;
        ctx.meta.$statusCode = 201;
        return { ...publicEndpoint(doc, this.now()), secret };
      },
    },

    /** Endpoints, newest first, with their unfinished and dead deliveries. */
    list: {
      rest: "GET /admin/webhooks",
      openapi: { summary: "List the webhook endpoints", responses: { 200: answer("WebhookEndpointPage", "One page of endpoints, each with its backlog and dead deliveries") } },
      roles: ["admin"],
      params: { ...PAGE_PARAMS, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ page: number; pageSize: number }>): Promise<Page<PublicEndpoint & { backlog: number; dead: number }>> {
        const { page, pageSize } = ctx.params;
        const [docs, total] = await Promise.all([
          this.adapter.find({ query: {}, sort: ["-createdAt", "-_id"], offset: (page - 1) * pageSize, limit: pageSize }),
          this.adapter.count({ query: {} }),
        ]);
        const rows = await Promise.all(
          docs.map(async (raw) => {
            const doc = this.adapter.afterRetrieveTransformID(raw, "id") as EndpointDoc;
            const [backlog, dead] = await Promise.all([this.deliveries.backlog(String(doc.id)), this.deliveries.page(String(doc.id), "dead", 1, 1).then((p) => p.total)]);
            return { ...publicEndpoint(doc, this.now()), backlog, dead };
          }),
        );
        return toPage(rows, total, page, pageSize);
      },
    },

    get: {
      rest: "GET /admin/webhooks/:id",
      openapi: { summary: "Read a webhook endpoint", responses: { 200: answer("WebhookEndpoint", "The endpoint (never its secret)") }, errors: { 404: ["NOT_FOUND"] } },
      roles: ["admin"],
      params: { id: ID, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ id: string }>): Promise<PublicEndpoint> {
        return publicEndpoint(await this.endpointOf(ctx.params.id), this.now());
      },
    },

    /** Change an endpoint's URL, events or description, or enable/disable it. */
    update: {
      rest: "PATCH /admin/webhooks/:id",
      openapi: { summary: "Change a webhook endpoint: its URL, events, description, or enable it again", responses: { 200: answer("WebhookEndpoint", "The endpoint as changed") }, errors: { 404: ["NOT_FOUND"] } },
      roles: ["admin"],
      params: {
        id: ID,
        url: { ...URL_RULE, optional: true },
        events: { ...EVENTS_RULE, optional: true },
        description: { ...DESCRIPTION_RULE, optional: true },
        enabled: { type: "boolean", optional: true },
        $$strict: "remove",
      },
      async handler(this: WebhooksThis, ctx: ShopContext<UpdateParams>): Promise<PublicEndpoint> {
        const { id, ...given } = ctx.params;
        const changes = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined && value !== null)) as Partial<UpdateParams>;
        if (Object.keys(changes).length === 0) {
          throw unprocessable("Nothing to change", [{ field: "body", message: "Send at least one of: url, events, description, enabled." }]);
        }
        if (changes.url !== undefined) this.checkUrl(changes.url);
        const at = new Date(this.now()).toISOString();
        const update: Record<string, unknown> = { $set: { ...changes, updatedAt: at } };
        // Enabled again: a fresh start; disabled by hand: said so.
        if (changes.enabled === true) update.$unset = { disabledReason: 1, disabledAt: 1, failingSince: 1 };
        if (changes.enabled === false) Object.assign(update.$set as object, { disabledReason: "disabled by an admin", disabledAt: at });
        const doc = (await this.updateWhere({ _id: id }, update)) as EndpointDoc | null;
        if (!doc) throw notFound("Webhook endpoint", { id });
        if (changes.enabled === false) await this.deliveries.killUnfinished(id, "endpoint disabled by an admin", this.now());
        if (changes.enabled === true) this.workSoon();
        return publicEndpoint(doc, this.now());
      },
    },

    /** Delete an endpoint and its delivery log. */
    remove: {
      rest: "DELETE /admin/webhooks/:id",
      openapi: { summary: "Remove a webhook endpoint", responses: { 200: answer("WebhookEndpoint", "The endpoint removed") }, errors: { 404: ["NOT_FOUND"] } },
      roles: ["admin"],
      params: { id: ID, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ id: string }>): Promise<PublicEndpoint> {
        const doc = await this.endpointOf(ctx.params.id);
        await this.adapter.removeMany({ _id: ctx.params.id });
        await this.deliveries.removeEndpoint(ctx.params.id);
        return publicEndpoint(doc, this.now());
      },
    },

    /** A new secret, shown this once; the old one still signs for WEBHOOKS_SECRET_OVERLAP. */
    rotateSecret: {
      rest: "POST /admin/webhooks/:id/rotate-secret",
      openapi: { summary: "Rotate an endpoint's signing secret", description: "The old secret keeps signing, next to the new one, for WEBHOOKS_SECRET_OVERLAP (24 h).", responses: { 200: answer("WebhookEndpoint", "The endpoint and its new secret, shown this once") }, errors: { 404: ["NOT_FOUND"], 409: ["SECRET_CHANGED"] } },
      roles: ["admin"],
      params: { id: ID, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ id: string }>): Promise<PublicEndpoint & { secret: string }> {
        const current = await this.endpointOf(ctx.params.id);
        const secret = newSecret();
        const now = this.now();
        // Conditional on the secret read: of two rotations at once, one wins and the other answers 409.
        const doc = (await this.updateWhere({ _id: ctx.params.id, secret: current.secret }, rotation(current, secret, now, this.settings.secretOverlapMs))) as EndpointDoc | null;
        if (!doc) throw conflict("The secret was rotated meanwhile; rotate again", "SECRET_CHANGED");
        return { ...publicEndpoint(doc, now), secret };
      },
    },

    /** An endpoint's deliveries, newest first: status, attempts, last response code and time. */
    deliveries: {
      rest: "GET /admin/webhooks/:id/deliveries",
      openapi: { summary: "List an endpoint's deliveries, newest first", responses: { 200: answer("WebhookDeliveryPage", "One page of deliveries") }, errors: { 404: ["NOT_FOUND"] } },
      roles: ["admin"],
      params: { id: ID, status: { type: "enum", values: ["pending", "sending", "succeeded", "dead"], optional: true }, ...PAGE_PARAMS, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ id: string; status?: DeliveryStatus; page: number; pageSize: number }>): Promise<Page<PublicDelivery>> {
        const { id, status, page, pageSize } = ctx.params;
        await this.endpointOf(id);
        const { rows, total } = await this.deliveries.page(id, status, page, pageSize);
        return toPage(rows.map(publicDelivery), total, page, pageSize);
      },
    },

    /** Send a dead delivery again, with a fresh retry schedule. */
    retryDelivery: {
      rest: "POST /admin/webhooks/:id/deliveries/:deliveryId/retry",
      openapi: { summary: "Send a dead delivery again", responses: { 202: answer("WebhookDelivery", "The delivery, pending again") }, errors: { 404: ["NOT_FOUND"], 409: ["ENDPOINT_DISABLED", "NOT_DEAD"] } },
      roles: ["admin"],
      params: { id: ID, deliveryId: ID, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ id: string; deliveryId: string }>): Promise<PublicDelivery> {
        const { id, deliveryId } = ctx.params;
        const endpoint = await this.endpointOf(id);
        if (!endpoint.enabled) throw conflict("The endpoint is disabled: enable it first", "ENDPOINT_DISABLED");
        const existing = await this.deliveries.byId(id, deliveryId);
        if (!existing) throw notFound("Delivery", { id: deliveryId });
        const revived = await this.deliveries.revive(id, deliveryId, this.now());
        if (!revived) throw conflict(`Only a dead delivery can be retried; this one is ${existing.status}`, "NOT_DEAD", { status: existing.status });
        this.workSoon();
        ctx.meta.$statusCode = 202;
        return publicDelivery(revived);
      },
    },

    /** Send a webhook.test event to the endpoint. */
    test: {
      rest: "POST /admin/webhooks/:id/test",
      openapi: { summary: "Send a webhook.test event to an endpoint", responses: { 202: answer("WebhookDelivery", "The test delivery, pending") }, errors: { 404: ["NOT_FOUND"], 409: ["ENDPOINT_DISABLED"] } },
      roles: ["admin"],
      params: { id: ID, $$strict: "remove" },
      async handler(this: WebhooksThis, ctx: ShopContext<{ id: string }>): Promise<PublicDelivery> {
        const endpoint = await this.endpointOf(ctx.params.id);
        if (!endpoint.enabled) throw conflict("The endpoint is disabled: enable it first", "ENDPOINT_DISABLED");
        const eventId = newId();
        const at = new Date(this.now()).toISOString();
        const data = { endpointId: String(endpoint.id), message: "A test event from the shop: the endpoint and its secret work." };
        const doc = await this.deliveries.enqueue(
          { endpointId: String(endpoint.id), eventId, event: TEST_EVENT, messageId: messageIdOf({ id: eventId }), body: messageBody(TEST_EVENT, at, data), orderKey: null, occurredAt: at },
          this.now(),
        );
        this.workSoon();
        ctx.meta.$statusCode = 202;
        return publicDelivery(doc);
      },
    },
  },

  methods: {
    /** One delivery per enabled endpoint subscribed to the event, each written once however often the event comes. */
    async fanOut(envelope: EventEnvelope) {
      if (!isWebhookEvent(envelope.event)) throw new PoisonEventError(`webhooks does not handle ${envelope.event}`);
      const found = await this.adapter.find({ query: { events: envelope.event, enabled: true } });
      const endpoints = found.map((raw) => this.adapter.afterRetrieveTransformID(raw, "id") as EndpointDoc);
      const body = messageBody(envelope.event, envelope.occurredAt, envelope.payload);
      const orderKey = orderKeyOf(envelope.payload);
      const now = this.now();
      for (const endpoint of endpoints) {
        await this.deliveries.enqueue(
          { endpointId: String(endpoint.id), eventId: envelope.id, event: envelope.event, messageId: messageIdOf(envelope), body, orderKey, occurredAt: envelope.occurredAt },
          now,
        );
      }
      if (endpoints.length > 0) this.workSoon();
      return endpoints.length;
    },

    async endpointOf(id: string) {
      const doc = (await this.findEntityById(id)) as EndpointDoc | null;
      if (!doc) throw notFound("Webhook endpoint", { id });
      return doc;
    },

    urlPolicy(): UrlPolicy {
      return { requireHttps: this.settings.requireHttps, allowPrivate: this.settings.allowPrivate };
    },

    checkUrl(url: string) {
      const problem = endpointUrlProblem(url, this.urlPolicy());
      if (problem) throw unprocessable("Parameters validation error", [{ field: "url", message: `The 'url' field ${problem}.`, type: "webhookUrl" }]);
    },

    /** A look for due deliveries now, or right after the one running (which may have missed what just came). */
    workSoon() {
      if (this.working) {
        this.again = true;
        return;
      }
      this.working = this.workThroughDue()
        .catch((err: unknown) => this.logger.warn(`Webhook deliveries: a look for due ones failed: ${reasonText(err)}`))
        .finally(() => {
          this.working = undefined;
          if (this.again && this.pollTimer) {
            this.again = false;
            this.workSoon();
          }
        });
    },

    async workThroughDue() {
      this.again = false;
      const due = await this.deliveries.due(this.now(), BATCH);
      const touched = new Set<string>();
      let next = 0;
      const worker = async () => {
        while (next < due.length) {
          const doc = due[next++];
          touched.add(doc.endpointId);
          await this.deliver(doc).catch((err: unknown) => this.logger.warn(`Webhook delivery ${doc.id} (${doc.event}): ${reasonText(err)}`));
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, due.length) }, worker));
      // A full batch: more may be due.
      if (due.length === BATCH) this.again = true;
      await this.measureBacklog([...touched]);
    },

    /** One attempt of one due delivery, if its turn has come and no other node took it. */
    async deliver(doc: DeliveryDoc) {
      const earlier = await this.deliveries.earlierUnfinished(doc);
      if (earlier) return this.deliveries.postpone(doc, Math.max(earlier.nextAttemptAt, earlier.leaseUntil));
      const endpoint = (await this.findEntityById(doc.endpointId)) as EndpointDoc | null;
      const started = this.now();
      if (!endpoint || !endpoint.enabled) {
        const claimed = await this.deliveries.claim(doc, started, this.settings.timeoutMs + LEASE_MARGIN_MS);
        if (claimed) await this.deliveries.settle(claimed, { ok: false, error: endpoint ? "endpoint disabled" : "endpoint deleted", durationMs: 0 }, started, null);
        return;
      }
      const claimed = await this.deliveries.claim(doc, started, this.settings.timeoutMs + LEASE_MARGIN_MS);
      if (!claimed) return;
      const headers = webhookHeaders(signingSecrets(endpoint, started), claimed.messageId, Math.floor(started / 1000), claimed.body);
      const result = await this.send({ url: endpoint.url, headers: { ...headers }, body: claimed.body, timeoutMs: this.settings.timeoutMs, allowPrivate: this.settings.allowPrivate });
      const now = this.now();
      const delay = result.ok ? null : retryDelay(claimed.attempts, this.retryScheduleMs);
      const settled = await this.deliveries.settle(claimed, result, now, delay === null ? null : now + delay);
      if (!settled) return;
      const outcome = result.ok ? "succeeded" : delay === null ? "dead" : "retrying";
      shopMetrics(this.broker).webhookAttempt(outcome, resultClass(result), result.durationMs / 1000);
      if (result.ok) {
        if (endpoint.failingSince) await this.updateWhere({ _id: doc.endpointId }, { $unset: { failingSince: 1 } });
        return;
      }
      this.logger.info(`Webhook ${claimed.event} ${claimed.messageId} to endpoint ${doc.endpointId}: attempt ${claimed.attempts} failed (${result.error ?? `answered ${result.statusCode}`}); ${outcome}`);
      await this.recordFailure(endpoint, now);
    },

    /** The endpoint failed again: remembered since when, and disabled once that is WEBHOOKS_DISABLE_AFTER ago. */
    async recordFailure(endpoint: EndpointDoc, now: number) {
      const id = String(endpoint.id);
      const since = endpoint.failingSince ?? (await this.updateWhere({ _id: id, failingSince: { $exists: false } }, { $set: { failingSince: now } }))?.failingSince ?? now;
      if (now - since < this.settings.disableAfterMs) return;
      const at = new Date(now).toISOString();
      const reason = `every attempt failed since ${new Date(since).toISOString()}`;
      const disable = (eventId?: string) =>
        this.updateWhere({ _id: id, enabled: true }, { $set: { enabled: false, disabledReason: reason, disabledAt: at, updatedAt: at }, ...(eventId ? { $push: { outboxEvents: eventId } } : {}) });
      const owner = endpoint.createdBy;
      // One node disables it, once, and in the same write tells its admin (through the notifications service).
      const disabled = owner
        ? await this.commitWithEvent("webhook.disabled", { endpointId: id, url: endpoint.url, reason, failingSince: new Date(since).toISOString(), disabledAt: at, admin: owner }, disable)
        : await disable();
      if (disabled && !owner) this.logger.error(`Webhook endpoint ${id} has no admin on record to tell that it was disabled`);
      if (!disabled) return;
      const killed = await this.deliveries.killUnfinished(id, "endpoint disabled after failing for too long", now);
      this.logger.warn(`Webhook endpoint ${id} disabled: ${reason}; ${killed} pending deliveries are dead (retry them once it is enabled again)`);
    },

    async measureBacklog(endpointIds: string[]) {
      if (!this.broker.isMetricsEnabled()) return;
      const metrics = shopMetrics(this.broker);
      for (const id of endpointIds) metrics.webhookBacklog(id, await this.deliveries.backlog(id));
    },
  },

  created() {
    this.send = sendWebhook;
    this.now = Date.now;
    this.again = false;
  },

  async started() {
    this.retryScheduleMs = parseDurationList(this.settings.retrySchedule, "retrySchedule");
    this.deliveryStore = await openCollection(this, { collection: "webhook_deliveries", database: "webhooks", indexes: DELIVERY_INDEXES });
    this.deliveries = new DeliveryLog(this.deliveryStore);
    if (this.settings.requireHttps && this.settings.allowPrivate) {
      this.logger.warn("WEBHOOKS_ALLOW_PRIVATE is on in production: endpoints may reach loopback and private addresses");
    }
    this.pollTimer = setInterval(() => this.workSoon(), this.settings.pollIntervalMs);
    this.pollTimer.unref();
    this.workSoon();
  },

  async stopped() {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    // Attempts in flight finish and are recorded before the store closes.
    await this.working;
    await this.deliveryStore?.disconnect();
  },
};

export default WebhooksService;
