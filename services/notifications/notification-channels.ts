/**
 * Where a notification goes besides the inbox: mail over SMTP (nodemailer)
 * when SMTP_URL is set, otherwise the service's log. One channel per
 * service instance; the delivery log records each send per event and channel.
 *
 * A mail's Message-ID is derived from the event, so the rare second send (a
 * node died after the server took the mail and before it was recorded as
 * sent) carries the same id and can be recognised by the receiving side.
 */
import nodemailer from "nodemailer";
import type { Transporter } from "nodemailer";

export interface OutgoingNotification {
  eventId: string;
  kind: string;
  userId: string;
  /** Mail address; null when none is known. */
  to: string | null;
  toName?: string;
  subject: string;
  text: string;
  html: string;
}

export interface DeliveryChannel {
  readonly name: "email" | "log";
  /** Without an address there is nothing to send (recorded as skipped). */
  readonly needsAddress: boolean;
  /** Answers the id under which the notification went out. */
  send(message: OutgoingNotification): Promise<{ messageId: string }>;
  close(): void;
}

export interface ChannelLogger {
  info(...args: unknown[]): void;
}

export interface ChannelSettings {
  smtpUrl: string | undefined;
  mailFrom: string;
  smtpTimeoutMs: number;
}

/** `Shop <no-reply@shop.example>` -> `shop.example` */
function domainOf(address: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(address)?.[1] ?? "shop.local";
}

export function messageIdOf(message: Pick<OutgoingNotification, "eventId" | "kind">, from: string): string {
  return `<${message.eventId}.${message.kind}@${domainOf(from)}>`;
}

export class SmtpChannel implements DeliveryChannel {
  readonly name = "email";
  readonly needsAddress = true;
  private readonly transport: Transporter;

  constructor(private readonly settings: ChannelSettings & { smtpUrl: string }) {
    this.transport = nodemailer.createTransport({
      url: settings.smtpUrl,
      // Each step bounded: a hung server must not hold an event (and its lease) forever.
      connectionTimeout: settings.smtpTimeoutMs,
      greetingTimeout: settings.smtpTimeoutMs,
      socketTimeout: settings.smtpTimeoutMs,
    });
  }

  async send(message: OutgoingNotification): Promise<{ messageId: string }> {
    if (!message.to) throw new Error("No mail address");
    const messageId = messageIdOf(message, this.settings.mailFrom);
    await this.transport.sendMail({
      from: this.settings.mailFrom,
      to: message.toName ? { name: message.toName, address: message.to } : message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId,
      headers: { "X-Shop-Event-Id": message.eventId, "X-Shop-Notification": message.kind },
    });
    return { messageId };
  }

  close(): void {
    this.transport.close();
  }
}

/** Development and tests without a mail server: the notification is written to the log. */
export class LogChannel implements DeliveryChannel {
  readonly name = "log";
  readonly needsAddress = false;

  constructor(
    private readonly logger: ChannelLogger,
    private readonly from: string,
  ) {}

  async send(message: OutgoingNotification): Promise<{ messageId: string }> {
    const messageId = messageIdOf(message, this.from);
    this.logger.info(`Notification ${message.kind} for user ${message.userId}${message.to ? ` <${message.to}>` : ""}: ${message.subject}`, { eventId: message.eventId, messageId });
    return { messageId };
  }

  close(): void {}
}

export function createDeliveryChannel(settings: ChannelSettings, logger: ChannelLogger): DeliveryChannel {
  return settings.smtpUrl ? new SmtpChannel({ ...settings, smtpUrl: settings.smtpUrl }) : new LogChannel(logger, settings.mailFrom);
}
