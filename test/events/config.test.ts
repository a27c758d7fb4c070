/**
 * The settings of durable events and notifications, from the environment.
 */
import { loadConfig } from "../../platform/config";
import { natsServers } from "../../platform/events/bus-registry";

describe("durable events and notifications configuration", () => {
  it("has defaults that run embedded: log delivery, fault injection off", () => {
    expect(loadConfig({})).toMatchObject({
      eventsMaxDeliveries: 5,
      eventsAckWaitMs: 30_000,
      eventsRetryDelayMs: 1000,
      eventsMaxInFlight: 10,
      outboxRelayIntervalSec: 5,
      faultCrashBeforePublish: false,
      smtpUrl: undefined,
      mailFrom: "Moleculer Shop <no-reply@shop.local>",
      smtpTimeoutMs: 20_000,
    });
  });

  it("reads each setting", () => {
    const cfg = loadConfig({
      EVENTS_MAX_DELIVERIES: "3",
      EVENTS_ACK_WAIT_MS: "2000",
      REQUEST_TIMEOUT: "1500",
      EVENTS_RETRY_DELAY_MS: "0",
      EVENTS_MAX_IN_FLIGHT: "1",
      OUTBOX_RELAY_INTERVAL: "1",
      FAULT_CRASH_BEFORE_PUBLISH: "1",
      SMTP_URL: "smtp://mail:25",
      MAIL_FROM: "Shop <shop@example.com>",
      SMTP_TIMEOUT_MS: "500",
    });
    expect(cfg).toMatchObject({
      eventsMaxDeliveries: 3,
      eventsAckWaitMs: 2000,
      eventsRetryDelayMs: 0,
      eventsMaxInFlight: 1,
      outboxRelayIntervalSec: 1,
      faultCrashBeforePublish: true,
      smtpUrl: "smtp://mail:25",
      mailFrom: "Shop <shop@example.com>",
      smtpTimeoutMs: 500,
    });
  });

  it("refuses values that would misbehave, and fault injection in production", () => {
    expect(() => loadConfig({ EVENTS_MAX_DELIVERIES: "0" })).toThrow(/EVENTS_MAX_DELIVERIES/);
    expect(() => loadConfig({ EVENTS_ACK_WAIT_MS: "10" })).toThrow(/EVENTS_ACK_WAIT_MS/);
    expect(() => loadConfig({ OUTBOX_RELAY_INTERVAL: "0" })).toThrow(/OUTBOX_RELAY_INTERVAL/);
    expect(() => loadConfig({ NODE_ENV: "production", ADMIN_EMAIL: "a@b.c", ADMIN_PASSWORD: "long enough", FAULT_CRASH_BEFORE_PUBLISH: "1" })).toThrow(
      /FAULT_CRASH_BEFORE_PUBLISH/,
    );
  });

  it("runs the bus on the transporter's NATS, in process without one, and refuses other transporters", () => {
    expect(natsServers(undefined)).toBeNull();
    expect(natsServers("nats://nats:4222")).toEqual(["nats://nats:4222"]);
    expect(natsServers("nats://a:4222,nats://b:4222")).toEqual(["nats://a:4222", "nats://b:4222"]);
    expect(natsServers({ type: "NATS", options: { url: "nats://n:4222" } })).toEqual(["nats://n:4222"]);
    expect(() => natsServers("redis://localhost:6379")).toThrow(/not NATS/);
    expect(() => natsServers("TCP")).toThrow(/not NATS/);
  });
});
