/**
 * A dead letter's round trip through the Cluster page, on a platform of its
 * own whose mail server refuses every mail (451, as a busy server does): a
 * customer's welcome mail fails its two deliveries and goes to the dead
 * letters, the page lists it, the mail server takes mail again, the admin
 * replays that one dead letter, and the welcome is mailed exactly once and
 * is in the customer's inbox once.
 */
import { expect, expectAccessible } from "./fixtures";
import { openConsoleAsAdmin } from "./admin-support";
import { startPlatformNode } from "./platform-node";
import { testOnOwnPlatform } from "./own-platform";
import { startSmtpSink, type SmtpSink } from "../notifications/support/smtp-sink";
import { waitUntil } from "../support/wait-until";

interface DeadLetterRow {
  seq: number;
  group: string;
  event: string;
  envelope: { id: string; payload: { email?: string } } | null;
}

const test = testOnOwnPlatform(async () => {
  const sink: SmtpSink = await startSmtpSink();
  sink.refuseNext(Number.MAX_SAFE_INTEGER);
  try {
    const node = await startPlatformNode({
      namespace: "browser-dead-letters",
      name: "dead-letters",
      env: { SMTP_URL: sink.url, EVENTS_MAX_DELIVERIES: "2", EVENTS_RETRY_DELAY_MS: "100" },
    });
    return {
      url: node.url,
      sink,
      async stop() {
        await node.stop();
        await sink.stop();
      },
    };
  } catch (err) {
    await sink.stop();
    throw err;
  }
});

test("a welcome mail the mail server refused is listed as a dead letter, replayed from the page and delivered once", async ({ page, shop, platform }) => {
  const shopper = await shop.register();
  const admin = await shop.adminToken();
  let dead: DeadLetterRow | undefined;
  await waitUntil(
    async () => {
      const { body } = await shop.json<{ rows: DeadLetterRow[] }>("GET", "/api/admin/dead-letters?service=notifications", admin);
      dead = body.rows.find((row) => row.event === "user.registered" && row.envelope?.payload.email === shopper.email);
      return dead !== undefined;
    },
    { description: `the welcome of ${shopper.email} in the dead letters`, timeoutMs: 30_000, intervalMs: 250 },
  );
  const { seq, envelope } = dead as DeadLetterRow;
  expect(platform.sink.mailsOf(envelope!.id)).toEqual([]);
  // As the OpenAPI document's DeadLetterList describes it (a closed object).
  expect(Object.keys(envelope!).filter((key) => !["id", "event", "payload", "occurredAt", "requestId", "source"].includes(key))).toEqual([]);

  await openConsoleAsAdmin(page, "/admin/cluster");
  const letters = page.getByRole("table", { name: /Events a consumer gave up on/ });
  const row = letters.getByRole("row").filter({ has: page.getByRole("button", { name: `Replay user.registered #${seq} of notifications` }) });
  await expect(row).toContainText("Mailbox busy");
  await expect(row.getByRole("cell").nth(2)).toHaveText("2");
  await expectAccessible(page);

  platform.sink.refuseNext(0);
  await row.getByRole("button", { name: "Replay" }).click();
  await expect(page.getByRole("status")).toHaveText("Replayed 1 dead letter of notifications.");
  await expect(letters.getByRole("button", { name: `Replay user.registered #${seq} of notifications` })).toHaveCount(0);

  await waitUntil(() => platform.sink.mailsOf(envelope!.id).length > 0, { description: "the replayed welcome mailed", timeoutMs: 30_000 });
  // Settled: the group has nothing waiting or in delivery, so no second send is still on its way.
  await waitUntil(
    async () => {
      const { body } = await shop.json<{ consumers: { group: string; pending: number; unacked: number }[] }>("GET", "/api/admin/events", admin);
      const group = body.consumers.find((c) => c.group === "notifications");
      return group?.pending === 0 && group.unacked === 0;
    },
    { description: "the notifications group settled", timeoutMs: 30_000, intervalMs: 250 },
  );
  expect(platform.sink.mailsOf(envelope!.id).map((mail) => [mail.kind, mail.to])).toEqual([["welcome", [shopper.email]]]);
  const inbox = await shop.json<{ rows: { kind: string }[] }>("GET", "/api/notifications", shopper.token);
  expect(inbox.body.rows.filter((n) => n.kind === "welcome")).toHaveLength(1);
});
