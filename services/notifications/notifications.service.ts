/**
 * notifications: tells customers what happened to their orders and account.
 * Consumes the durable events (order.paid, order.shipped, order.delivered,
 * order.cancelled, payment.refunded, user.registered, and webhook.disabled
 * for the admin who created the endpoint) as one consuming group,
 * renders each (services/notifications/notification-templates.ts), stores it in the user's inbox
 * (GET /api/notifications) and sends it through the delivery channel: mail
 * over SMTP when SMTP_URL is set, the log otherwise.
 *
 * Owns the `notifications` (inbox), `deliveries` (delivery log) and
 * `contacts` (mail addresses learned from events) collections of the
 * `notifications` database.
 *
 * Idempotent per event: the inbox holds one entry per event id and kind, the
 * delivery log one send per event id and channel, however often JetStream
 * delivers the event (at least once) and on whichever node.
 */
import type { Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { ChannelsMixin, type ChannelHandler, type ChannelsMethods } from "../../mixins/channels.mixin";
import { config } from "../../platform/config";
import { unauthorized } from "../../platform/errors";
import { openCollection, type DbAdapter } from "../../platform/db/db-adapter";
import { PoisonEventError } from "../../platform/events/dispatch";
import type { EventEnvelope } from "../../platform/events/types";
import { CONSUMED_EVENTS, isConsumedEvent, parsePayload, recipientOf } from "./notification-events";
import { render } from "./notification-templates";
import { createDeliveryChannel, type DeliveryChannel } from "./notification-channels";
import { Inbox, INBOX_INDEXES, type InboxPage } from "./notification-inbox";
import { DELIVERY_INDEXES, DeliveryLog } from "./notification-deliveries";
import { CONTACT_INDEXES, Contacts } from "./notification-contacts";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { PAGE_PARAMS } from "../../contracts/paging";
import { answer } from "../../contracts/rest/answers";

export interface NotificationsSettings extends ShopSettings {
  /** SMTP_URL; unset: the log channel. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Bound on each step of one SMTP delivery, ms. */
  smtpTimeoutMs: number;
}

interface NotificationsVars {
  stores: DbAdapter[];
  inbox: Inbox;
  deliveries: DeliveryLog;
  pruneTimer?: NodeJS.Timeout;
  contacts: Contacts;
  channel: DeliveryChannel;
}

interface NotificationsMethods extends DbMethods, ChannelsMethods {
  notify(envelope: EventEnvelope): Promise<void>;
  openStore(collection: string, indexes: typeof DELIVERY_INDEXES): Promise<DbAdapter>;
}

type NotificationsThis = Service<NotificationsSettings> & NotificationsVars & NotificationsMethods;

interface ListParams {
  page: number;
  pageSize: number;
}

/** Margin over the SMTP bound before another node may take over a send whose node went quiet. */
const LEASE_MARGIN_MS = 5_000;
/** Ended delivery records past their retention are looked for this often. */
const PRUNE_EVERY_MS = 3600 * 1000;

const notify: ChannelHandler<NotificationsThis> = function (envelope) {
  return this.notify(envelope);
};

const NotificationsService: ServiceSchema<NotificationsSettings, NotificationsMethods, NotificationsVars> = {
  name: "notifications",
  mixins: [
    DbMixin({ collection: "notifications", database: "notifications", indexes: INBOX_INDEXES }),
    ChannelsMixin<NotificationsThis>(Object.fromEntries(CONSUMED_EVENTS.map((event) => [event, notify]))),
  ],

  settings: {
    rest: "/",
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    smtpTimeoutMs: config.smtpTimeoutMs,
    // The SMTP URL may hold credentials: it stays on this node.
    $secureSettings: ["smtpUrl"],
  },

  actions: {
    /** The caller's notifications, newest first, paged. */
    list: {
      rest: "GET /notifications",
      openapi: {
        summary: "List the caller's notifications, newest first",
        responses: { 200: answer("NotificationPage", "One page of the caller's notifications") },
      },
      auth: "required",
      retryPolicy: { enabled: true },
      params: {
        $$strict: "remove",
        ...PAGE_PARAMS,
      },
      handler(this: NotificationsThis, ctx: ShopContext<ListParams>): Promise<InboxPage> {
        const user = ctx.meta.user;
        if (!user) throw unauthorized("Authentication required", "NO_TOKEN");
        return this.inbox.page(user.id, ctx.params.page, ctx.params.pageSize);
      },
    },
  },

  methods: {
    /** Inbox entry, then delivery: each at most once per event, so a redelivery finishes what a crash left. */
    async notify(envelope: EventEnvelope) {
      const event = envelope.event;
      if (!isConsumedEvent(event)) throw new PoisonEventError(`notifications does not handle ${event}`);
      const payload = parsePayload(event, envelope.payload);
      const given = recipientOf(event, payload);
      await this.contacts.learn(given);
      const recipient = await this.contacts.complete(given);
      const message = render(event, payload, recipient);
      await this.inbox.storeOnce({
        eventId: envelope.id,
        event,
        kind: message.kind,
        userId: recipient.userId,
        title: message.title,
        body: message.text,
        data: message.data,
        occurredAt: envelope.occurredAt,
      });
      const to = recipient.email ?? null;
      const target = { eventId: envelope.id, channel: this.channel.name, kind: message.kind, userId: recipient.userId, to };
      await this.deliveries.deliverOnce(target, this.channel.needsAddress, () =>
        this.channel.send({ ...target, toName: recipient.name, subject: message.title, text: message.text, html: message.html }),
      );
    },

    async openStore(collection: string, indexes: typeof DELIVERY_INDEXES) {
      const store = await openCollection(this, { collection, database: "notifications", indexes });
      this.stores.push(store);
      return store;
    },
  },

  async started() {
    this.stores = [];
    this.inbox = new Inbox(this.adapter);
    const leaseMs = 2 * this.settings.smtpTimeoutMs + LEASE_MARGIN_MS;
    this.deliveries = new DeliveryLog(await this.openStore("deliveries", DELIVERY_INDEXES), leaseMs);
    this.contacts = new Contacts(await this.openStore("contacts", CONTACT_INDEXES));
    this.channel = createDeliveryChannel(this.settings, this.logger);
    // Hourly: delivery records past their retention (DELIVERY_RETENTION_MS) go.
    this.pruneTimer = setInterval(() => {
      this.deliveries.prune().catch((err: unknown) => this.logger.warn(`Pruning delivery records failed: ${(err as Error).message}`));
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    this.logger.info(`Notifications are delivered by ${this.channel.name === "email" ? "mail (SMTP)" : "the log (SMTP_URL is not set)"}`);
  },

  async stopped() {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.channel?.close();
    await Promise.all((this.stores ?? []).map((store) => store.disconnect()));
  },
};

export default NotificationsService;
