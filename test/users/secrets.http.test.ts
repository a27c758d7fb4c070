/**
 * "A user object never contains a password or its hash" (docs/api.md), and
 * neither does a log line: every flow that handles a password runs with
 * every log level captured, then bodies and log lines are searched.
 */
import { inspect } from "node:util";
import type { AddressInfo } from "node:net";
import { Loggers, ServiceBroker, type LoggerConfig, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import ApiService from "../../services/api/api.service";
import UsersService from "../../services/users/users.service";
import { api, type ApiClient, type ApiResponse } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { durableEventRecorder, type RecordedEvent } from "../support/durable-events";
import { ADMIN, uniqueEmail, usersService } from "./helpers";

/** Keeps every line any module logs, at every level, as text. */
class CapturingLogger extends Loggers.Base<LoggerConfig["options"] & object> {
  constructor(private readonly lines: string[]) {
    super({ level: "trace" });
  }

  override getLogHandler(bindings: { mod?: string }) {
    return (level: string, args: unknown[]) => {
      this.lines.push(`${level} ${bindings?.mod ?? ""} ${args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 8, breakLength: Infinity }))).join(" ")}`);
    };
  }
}

describe("passwords and their hashes stay out of answers, events and logs", () => {
  const lines: string[] = [];
  const bodies: string[] = [];
  const recorded: RecordedEvent[] = [];
  const events = () => recorded.map((r) => r.payload);
  let broker: ServiceBroker;
  let http: ApiClient;

  const record = async <T>(pending: Promise<ApiResponse<T>>) => {
    const res = await pending;
    bodies.push(res.text);
    return res;
  };

  beforeAll(async () => {
    const options = brokerOptions({ ...loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: "0" }), transporter: undefined, nodeID: undefined });
    broker = new ServiceBroker({ ...options, nodeID: `secrets-${process.pid}`, logger: new CapturingLogger(lines) });
    broker.createService(UsersService);
    broker.createService(durableEventRecorder("event-spy", ["user.registered"], recorded));
    const gateway = broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ip: "127.0.0.1", expectedServices: ["users"] } } as ServiceSchema);
    await broker.start();
    const web = gateway as unknown as { server: { address(): AddressInfo }; aliases: { action?: string }[] };
    await waitUntil(() => ["users.register", "users.login", "users.update", "users.list"].every((a) => web.aliases.some((alias) => alias.action === a)), {
      description: "the users routes",
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    http = api(`http://127.0.0.1:${web.server.address().port}/api`);
  });
  afterAll(() => broker?.stop());

  it("holds for register, login, profile, password change, list and rejected input", async () => {
    const email = uniqueEmail("secret");
    const password = "first-Secret-Passw0rd";
    const newPassword = "second-Secret-Passw0rd";

    const registered = await record(http.post<{ user: { id: string }; token: string }>("/auth/register", { email, password, name: "Secretive" }));
    expect(registered.status).toBe(201);
    const { token } = registered.body;
    expect((await record(http.post("/auth/register", { email, password, name: "Twice" }))).status).toBe(409);
    expect((await record(http.post("/auth/register", { email: uniqueEmail(), password: "tiny-pw", name: "Short" }))).status).toBe(422);
    expect((await record(http.post("/auth/login", { email, password }))).status).toBe(200);
    expect((await record(http.post("/auth/login", { email, password: `${password}-wrong` }))).status).toBe(401);
    expect((await record(http.get("/users/me", { token }))).status).toBe(200);
    expect((await record(http.patch("/users/me", { password: newPassword, currentPassword: `${password}-wrong` }, { token }))).status).toBe(422);
    const firstHash = (await usersService(broker).findEntityById(registered.body.user.id))?.passwordHash as string;
    expect((await record(http.patch("/users/me", { password: newPassword, currentPassword: password, name: "Renamed" }, { token }))).status).toBe(200);
    expect((await record(http.post("/auth/login", { email, password: newPassword }))).status).toBe(200);
    const adminLogin = await record(http.post<{ token: string }>("/auth/login", ADMIN));
    expect((await record(http.get("/users?pageSize=100", { token: adminLogin.body.token }))).status).toBe(200);

    const secondHash = (await usersService(broker).findEntityById(registered.body.user.id))?.passwordHash as string;
    const adminHash = (await usersService(broker).adapter.findOne({ email: ADMIN.email }))?.passwordHash as string;
    expect(firstHash).toMatch(/^scrypt\$/);
    expect(secondHash).not.toBe(firstHash);

    // The salt and the derived key are searched for on their own too: a log could cut a hash at the `$`.
    const secrets = [password, newPassword, "tiny-pw", ADMIN.password, ...[firstHash, secondHash, adminHash].flatMap((h) => [h, ...h.split("$").slice(4)])];
    const logText = lines.join("\n");
    expect(lines.length).toBeGreaterThan(20); // the capture did capture: debug request lines and more
    expect(logText).toContain("users.login");
    for (const secret of secrets) {
      expect(bodies.filter((body) => body.includes(secret))).toEqual([]);
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(bodies.join("\n")).not.toMatch(/passwordHash|scrypt\$/);
    expect(logText).not.toMatch(/passwordHash|scrypt\$/);
    // Durable events arrive through the outbox relay, a moment after the answer.
    await waitUntil(() => events().some((e) => (e as { id?: string }).id === registered.body.user.id), { description: "user.registered", timeoutMs: 5000 });
    expect(JSON.stringify(events())).not.toMatch(/password|scrypt/i);
    expect(events()).toContainEqual({ id: registered.body.user.id, email, name: "Secretive" });
  });
});
