/**
 * The signature scheme is Standard Webhooks': the reference verifier
 * (`standardwebhooks`) accepts what the shop signs, with the current secret
 * and, during a rotation, with the previous one; a changed body or another
 * secret is refused.
 */
import { Webhook } from "standardwebhooks";
import { isSecret, newSecret, webhookHeaders } from "../../services/webhooks/webhook-signature";
import { retryDelay } from "../../services/webhooks/webhook-schedule";

const body = JSON.stringify({ type: "order.paid", timestamp: "2030-01-01T00:00:00.000Z", data: { orderId: "o-1" } });
const now = () => Math.floor(Date.now() / 1000);

describe("webhook signatures", () => {
  it("are accepted by the standardwebhooks verifier", () => {
    const secret = newSecret();
    expect(isSecret(secret)).toBe(true);
    const headers = webhookHeaders([secret], "msg_1", now(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("carry one signature per secret during a rotation, each verifying on its own", () => {
    const [current, previous] = [newSecret(), newSecret()];
    const headers = webhookHeaders([current, previous], "msg_2", now(), body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    for (const secret of [current, previous]) expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("do not verify a changed body or with another secret", () => {
    const secret = newSecret();
    const headers = { ...webhookHeaders([secret], "msg_3", now(), body) };
    expect(() => new Webhook(secret).verify(body.replace("o-1", "o-2"), headers)).toThrow();
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
  });
});

describe("the retry schedule", () => {
  const schedule = [5_000, 300_000, 1_800_000];

  it("waits each listed delay, shortened by at most a quarter", () => {
    expect([1, 2, 3].map((attempts) => retryDelay(attempts, schedule, () => 0))).toEqual(schedule);
    expect([1, 2, 3].map((attempts) => retryDelay(attempts, schedule, () => 0.999999))).toEqual([3_750, 225_000, 1_350_000]);
  });

  it("ends when the schedule is used up: the delivery is dead", () => {
    expect(retryDelay(4, schedule, () => 0.5)).toBeNull();
  });
});
