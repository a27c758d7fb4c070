/**
 * The mail channel on its own, against a local SMTP server: what a mail
 * carries, and that a server that is not there fails the send (the event is
 * then retried) instead of hanging it.
 */
import { createDeliveryChannel, LogChannel, SmtpChannel, type OutgoingNotification } from "../../services/notifications/notification-channels";
import { freePort } from "../support/ports";
import { startSmtpSink, type SmtpSink } from "./support/smtp-sink";

const message: OutgoingNotification = {
  eventId: "65a0000000000000000000d1",
  kind: "order_shipped",
  userId: "u1",
  to: "ada@example.com",
  toName: "Ada Lovelace",
  subject: "Order #000000D1 has shipped",
  text: "Hi Ada,\n\nTracking number: PX1",
  html: "<p>Hi Ada,</p><p>Tracking number: PX1</p>",
};

describe("mail over SMTP", () => {
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await sink?.stop();
  });

  it("sends text and HTML from MAIL_FROM, with a Message-ID made of the event and kind", async () => {
    const channel = new SmtpChannel({ smtpUrl: sink.url, mailFrom: "Moleculer Shop <no-reply@shop.test>", smtpTimeoutMs: 5000 });
    try {
      expect(await channel.send(message)).toEqual({ messageId: "<65a0000000000000000000d1.order_shipped@shop.test>" });
    } finally {
      channel.close();
    }
    const [mail] = sink.mailsOf(message.eventId);
    expect(mail).toMatchObject({ to: ["ada@example.com"], subject: message.subject, kind: "order_shipped", messageId: "<65a0000000000000000000d1.order_shipped@shop.test>" });
    expect(mail.raw).toMatch(/^From: Moleculer Shop <no-reply@shop\.test>/m);
    expect(mail.raw).toMatch(/^To: Ada Lovelace <ada@example\.com>/m);
    expect(mail.raw).toContain("text/plain");
    expect(mail.raw).toContain("text/html");
  });

  it("fails a send to a server that is not there", async () => {
    const channel = new SmtpChannel({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, mailFrom: "shop@shop.test", smtpTimeoutMs: 2000 });
    try {
      await expect(channel.send(message)).rejects.toThrow();
    } finally {
      channel.close();
    }
  });

  it("is the channel when SMTP_URL is set; the log is, when it is not", () => {
    const logger = { info: () => undefined };
    const smtp = createDeliveryChannel({ smtpUrl: sink.url, mailFrom: "shop@shop.test", smtpTimeoutMs: 1000 }, logger);
    expect(smtp).toBeInstanceOf(SmtpChannel);
    smtp.close();
    expect(createDeliveryChannel({ smtpUrl: undefined, mailFrom: "shop@shop.test", smtpTimeoutMs: 1000 }, logger)).toBeInstanceOf(LogChannel);
  });
});
