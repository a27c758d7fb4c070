/**
 * A closed cluster (docs/security.md): against a NATS that requires
 * credentials, a node without them cannot connect (so cannot join, call
 * payments.refund or register a fake service); nodes with NATS_USER and
 * NATS_PASSWORD join and call each other, durable events included.
 */
import { connect } from "nats";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import { natsAuthOptions, natsAuthSettings } from "../../platform/nats-connection";
import { startNatsServer, type NatsServer } from "../support/nats-server";

const USER = "shop-node";
const PASSWORD = "f3b1c9d27a4e6058";

describe("NATS with credentials", () => {
  let nats: NatsServer;
  const brokers: ServiceBroker[] = [];
  beforeAll(async () => {
    nats = await startNatsServer({ user: USER, password: PASSWORD });
  });
  afterAll(async () => {
    await Promise.all(brokers.map((broker) => broker.stop()));
    await nats?.stop();
  });

  const nodeEnv = (extra: Record<string, string>) => ({ NODE_ENV: "test", METRICS_PORT: "0", TRANSPORTER: nats.url, NAMESPACE: `auth-${process.pid}`, ...extra });
  const tryConnect = (env: Record<string, string>) =>
    connect({ servers: nats.url, reconnect: false, timeout: 2000, ...natsAuthOptions(natsAuthSettings(env)) }).then(
      (nc) => nc.close().then(() => "connected"),
      (err: Error) => err.message,
    );

  it("refuses a connection without credentials, or with a wrong password", async () => {
    expect(await tryConnect({})).toMatch(/AUTHORIZATION_VIOLATION|Authorization/i);
    expect(await tryConnect({ NATS_USER: USER, NATS_PASSWORD: "guessed-password" })).toMatch(/AUTHORIZATION_VIOLATION|Authorization/i);
    expect(await tryConnect({ NATS_USER: USER, NATS_PASSWORD: PASSWORD })).toBe("connected");
  });

  it("lets nodes with NATS_USER and NATS_PASSWORD join and call each other", async () => {
    const node = (id: string) => {
      const broker = new ServiceBroker({ ...brokerOptions(loadConfig(nodeEnv({ NATS_USER: USER, NATS_PASSWORD: PASSWORD }))), nodeID: `${id}-${process.pid}`, logger: false });
      brokers.push(broker);
      return broker;
    };
    const a = node("a");
    a.createService({ name: "echo", actions: { say: (ctx) => `heard ${String(ctx.params.word)}` } });
    const b = node("b");
    await Promise.all([a.start(), b.start()]);
    await b.waitForServices("echo", 10_000);
    expect(await b.call("echo.say", { word: "hello" })).toBe("heard hello");
  });

  it("is required in production: a TRANSPORTER without credentials does not start", () => {
    const production = { NODE_ENV: "production", JWT_SECRET: "9f2c6a0e4b8d1f3a5c7e9b2d4f6a8c0e1b3d", ADMIN_EMAIL: "o@example.com", ADMIN_PASSWORD: "Tq8#vL2!pX9w" };
    expect(() => loadConfig({ ...production, TRANSPORTER: "nats://nats:4222" })).toThrow(/NATS_USER/);
    expect(() => loadConfig({ ...production, TRANSPORTER: "nats://nats:4222", NATS_USER: USER, NATS_PASSWORD: "replace-me-nats-password" })).toThrow(/NATS_PASSWORD/);
    expect(loadConfig({ ...production, TRANSPORTER: "nats://nats:4222", NATS_USER: USER, NATS_PASSWORD: PASSWORD }).natsUser).toBe(USER);
  });
});
