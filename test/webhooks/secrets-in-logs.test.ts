/**
 * Endpoint secrets are shown once, in the answer that creates or rotates
 * them, and nowhere else: not in the logs at the most verbose level, not in
 * any later answer, whatever happens to the deliveries.
 */
import { waitUntil } from "../support/wait-until";
import { startReceiver, type Receiver } from "./support/receiver";
import { orderPaid, startWebhooks, type WebhooksPlatform } from "./support/webhooks-platform";

const admin = { token: "token-admin" };

describe("webhook secrets", () => {
  let platform: WebhooksPlatform;
  let receiver: Receiver;
  const logged: string[] = [];

  beforeAll(async () => {
    for (const level of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")));
    }
    receiver = await startReceiver();
    platform = await startWebhooks({ logLevel: "trace" });
  });
  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
    jest.restoreAllMocks();
  });

  it("never reach the logs or a later answer", async () => {
    const created = await platform.http.post<{ id: string; secret: string }>("/admin/webhooks", { url: receiver.url, events: ["order.paid"] }, admin);
    const rotated = await platform.http.post<{ secret: string }>(`/admin/webhooks/${created.body.id}/rotate-secret`, {}, admin);
    receiver.answer([500]);
    await platform.publish("order.paid", orderPaid());
    await waitUntil(() => receiver.received.length === 2, { description: "a failed attempt and its retry", timeoutMs: 20_000 });
    const answers = [
      await platform.http.get(`/admin/webhooks`, admin),
      await platform.http.get(`/admin/webhooks/${created.body.id}`, admin),
      await platform.http.get(`/admin/webhooks/${created.body.id}/deliveries`, admin),
      await platform.http.patch(`/admin/webhooks/${created.body.id}`, { description: "erp" }, admin),
    ].map((res) => JSON.stringify(res.body));

    expect(logged.length).toBeGreaterThan(0);
    for (const secret of [created.body.secret, rotated.body.secret]) {
      const key = secret.slice("whsec_".length);
      expect(logged.filter((line) => line.includes(key))).toEqual([]);
      expect(answers.filter((text) => text.includes(key))).toEqual([]);
    }
  });
});
