/**
 * The notifications service consuming durable events (embedded bus) and
 * mailing through a local SMTP server: one event gives one inbox entry and
 * one mail however often it is delivered.
 */
import type { ServiceBroker } from "moleculer";
import type { DeadLetter } from "../../platform/events/types";
import { waitUntil } from "../support/wait-until";
import { startSmtpSink, type SmtpSink } from "./support/smtp-sink";
import { ADA, BO, orderPaid, startNotifications, type NotificationsPlatform } from "./support/notifications-platform";

describe("notifications by mail", () => {
  let sink: SmtpSink;
  let platform: NotificationsPlatform;
  let broker: ServiceBroker;

  beforeAll(async () => {
    sink = await startSmtpSink();
    platform = await startNotifications({ settings: { smtpUrl: sink.url, mailFrom: "Shop <no-reply@shop.test>" } });
    broker = platform.broker;
  });

  afterAll(async () => {
    await platform?.stop();
    await sink?.stop();
  });

  it("confirms a paid order once in the inbox and once by mail, however often the event is delivered", async () => {
    const before = (await platform.inboxOf(ADA)).total;
    const payload = orderPaid(ADA);
    const event = await platform.publish("order.paid", payload);
    // The same event twice more, as a relay retrying after a lost PubAck would publish it.
    await platform.bus.publish(event, { dedupeId: `${event.id}-again-1` });
    await platform.bus.publish(event, { dedupeId: `${event.id}-again-2` });
    await platform.settled();

    const inbox = await platform.inboxOf(ADA);
    expect(inbox.total).toBe(before + 1);
    expect(inbox.rows[0]).toMatchObject({ kind: "order_confirmation", data: { orderId: payload.orderId, total: 2900 } });
    const mails = sink.mailsOf(event.id);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: [ADA.email], kind: "order_confirmation", messageId: `<${event.id}.order_confirmation@shop.test>` });
    expect(mails[0].raw).toContain("Total  $29.00");
    expect(await platform.deliveries.byKey(`${event.id}:email`)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("mails a refund, whose event carries no address, to the address learned at registration", async () => {
    await platform.publish("user.registered", { id: BO.id, email: BO.email, name: BO.name });
    // Events are handled concurrently, in no set order: the registration is known before the refund comes.
    await platform.settled();
    const refund = await platform.publish("payment.refunded", { orderId: "65a0000000000000000000f1", userId: BO.id, amount: 1500, currency: "USD", brand: "visa", last4: "4242" });
    await platform.settled();
    const [mail] = sink.mailsOf(refund.id);
    expect(mail).toMatchObject({ to: [BO.email], kind: "payment_refunded" });
    expect(mail.raw).toContain("Hi Bo,");
    expect((await platform.inboxOf(BO)).rows.map((n) => n.kind)).toEqual(expect.arrayContaining(["welcome", "payment_refunded"]));
  });

  it("fills the inbox but records the mail as skipped for a user with no known address", async () => {
    const stranger = { ...ADA, id: "65a0000000000000000000c3" };
    const event = await platform.publish("order.delivered", { orderId: "65a0000000000000000000f2", userId: stranger.id });
    await platform.settled();
    expect((await platform.inboxOf(stranger)).rows).toEqual([expect.objectContaining({ kind: "order_delivered" })]);
    expect(sink.mailsOf(event.id)).toEqual([]);
    expect(await platform.deliveries.byKey(`${event.id}:email`)).toMatchObject({ status: "skipped", to: null });
  });

  it("tries a mail again when the server refuses it for now, and sends it once", async () => {
    sink.refuseNext(1);
    const event = await platform.publish("order.shipped", { orderId: "65a0000000000000000000f3", userId: ADA.id, email: ADA.email, carrier: "Parcelly", trackingNumber: "PX000000000001" });
    await waitUntil(() => sink.mailsOf(event.id).length === 1, { description: "the mail after the refusal", timeoutMs: 20_000 });
    await platform.settled();
    expect(sink.mailsOf(event.id)).toHaveLength(1);
    expect(sink.mailsOf(event.id)[0].raw).toContain("Tracking number: PX000000000001");
    expect(await platform.deliveries.byKey(`${event.id}:email`)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("sends an event it can never render to the dead letters at once, and goes on with the others", async () => {
    const broken = await platform.publish("order.paid", orderPaid(ADA, { items: [] }));
    const fine = await platform.publish("order.paid", orderPaid(ADA));
    await platform.settled();
    const letters = await broker.call<DeadLetter[], { limit: number }>("notifications.deadLetters", { limit: 10 });
    expect(letters).toEqual([expect.objectContaining({ event: "order.paid", deliveries: 1, envelope: expect.objectContaining({ id: broken.id }) })]);
    expect(letters[0].reason).toMatch(/^PoisonEventError: order\.paid: .*items/);
    expect(sink.mailsOf(broken.id)).toEqual([]);
    expect(sink.mailsOf(fine.id)).toHaveLength(1);
  });
});

describe("notifications without SMTP_URL", () => {
  let platform: NotificationsPlatform;

  beforeAll(async () => {
    platform = await startNotifications({ settings: { smtpUrl: undefined } });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it("fills the inbox and delivers to the log", async () => {
    const event = await platform.publish("user.registered", { id: ADA.id, email: ADA.email, name: ADA.name });
    await platform.settled();
    expect((await platform.inboxOf(ADA)).rows).toEqual([expect.objectContaining({ kind: "welcome", title: "Welcome to Moleculer Shop" })]);
    expect(await platform.deliveries.byKey(`${event.id}:log`)).toMatchObject({ status: "sent", channel: "log", to: ADA.email });
  });
});
