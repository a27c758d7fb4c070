/**
 * With tracing switched on (TRACING_EXPORTER), spans carry no params, meta or
 * error data: passwords, card numbers and tokens stay out of the traces.
 */
import { ServiceBroker, type Context } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import { waitUntil } from "../support/wait-until";

describe("traces", () => {
  it("never carry params, meta or rejected values", async () => {
    const options = brokerOptions({ ...loadConfig({ NODE_ENV: "test", METRICS_PORT: "0", TRACING_EXPORTER: "Event" }) });
    const spans: unknown[] = [];
    const broker = new ServiceBroker({
      ...options,
      logger: false,
      tracing: { ...(options.tracing as object), exporter: [{ type: "Event", options: { interval: 0 } }] },
    });
    broker.createService({
      name: "collector",
      events: { "$tracing.spans"(ctx: Context<unknown[]>) { spans.push(...ctx.params); } },
    });
    broker.createService({
      name: "users",
      actions: {
        login: { params: { email: "string", password: { type: "string", pattern: /^\S{8,}$/ } }, handler: () => ({ token: "tok-secret" }) },
      },
    });
    await broker.start();
    await broker.call("users.login", { email: "a@b.c", password: "hunter2-correct" }, { meta: { authorization: "Bearer tok-secret" } });
    // The refused call's span carries the rejected value in its error, unless tracing leaves it out.
    await expect(broker.call("users.login", { email: "a@b.c", password: "bad pass" })).rejects.toMatchObject({ name: "ValidationError", data: [expect.objectContaining({ field: "password" })] });
    const loginSpans = () => (spans as { name?: string }[]).filter((s) => s.name === "action 'users.login'");
    await waitUntil(() => loginSpans().length >= 2, { description: "the spans of both logins", timeoutMs: 5000, intervalMs: 10 });
    await broker.stop();

    const text = JSON.stringify(spans);
    expect(loginSpans().map((s) => (s as { error?: unknown }).error !== undefined && (s as { error?: unknown }).error !== null)).toEqual([false, true]);
    for (const secret of ["hunter2-correct", "bad pass", "tok-secret"]) expect(text).not.toContain(secret);
  });
});
