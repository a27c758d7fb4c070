/**
 * Applies fault rules (platform/fault-rules.ts) to the actions of this node. Each
 * node gets a `faults` service (an internal `$` one would not hear remote broadcasts), so the admin route can change the rules of
 * every node at runtime with one broadcast (`faults.changed`).
 */
import { Errors, type ActionSchema, type Context, type Middleware, type ServiceBroker } from "moleculer";
import { ruleFor, shouldFail, type FaultRule } from "../platform/fault-rules";

type Handler = (ctx: Context) => Promise<unknown>;

function injectedError(rule: FaultRule, action: string): Error {
  const code = rule.errorCode ?? 503;
  const message = `Injected fault in ${action}`;
  if (code === 503) return new Errors.MoleculerRetryableError(message, 503, "SERVICE_UNAVAILABLE", { injected: true });
  if (code === 504) return new Errors.MoleculerRetryableError(message, 504, "REQUEST_TIMEOUT", { injected: true });
  return new Errors.MoleculerServerError(message, 500, "FAULT_INJECTED", { injected: true });
}

/** Per action, the calls a rule touched: arrived, and still held or running. */
export type FaultedCalls = Record<string, { arrived: number; running: number }>;

export function FaultInjection(initial: FaultRule[] = []): Middleware {
  let rules = [...initial];
  // A call held past its caller's timeout is still under way here (the caller's node has forgotten
  // it): a chaos test waits for these counts to settle instead of for the clock.
  const calls: FaultedCalls = {};
  return {
    name: "FaultInjection",
    created(broker: ServiceBroker) {
      broker.createService({
        name: "faults",
        events: {
          "faults.changed"(ctx: Context<{ rules: FaultRule[] }>) {
            rules = ctx.params.rules;
            broker.logger.warn(`Fault rules now: ${JSON.stringify(rules)}`);
          },
        },
        actions: {
          list: { visibility: "public", handler: () => rules },
          calls: { visibility: "public", handler: () => calls },
        },
      });
    },
    localAction(next: Handler, action: ActionSchema) {
      const name = action.name ?? "";
      if (name.startsWith("$") || name.startsWith("api.") || name.startsWith("faults.")) return next;
      return async function faulty(ctx: Context) {
        const rule = ruleFor(rules, name);
        if (!rule) return next(ctx);
        const count = (calls[name] ??= { arrived: 0, running: 0 });
        count.arrived++;
        count.running++;
        try {
          if (rule.latencyMs) await new Promise((resolve) => setTimeout(resolve, rule.latencyMs));
          if (shouldFail(rule, Math.random())) throw injectedError(rule, name);
          return await next(ctx);
        } finally {
          count.running--;
        }
      };
    },
  } as Middleware;
}
