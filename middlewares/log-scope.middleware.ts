/**
 * Request-scoped log fields. Moleculer binds a logger to its module (node,
 * service) only, so a line logged deep inside an action cannot say which
 * action or request it belongs to. This middleware runs every local action
 * and event handler inside an AsyncLocalStorage scope holding the action (or
 * event) name and the request id, and `jsonLogFormatter` (the JSON log
 * format, moleculer.config.ts) adds them to every line logged in that scope,
 * including lines of libraries the handler awaits.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { inspect } from "node:util";
import type { ActionSchema, Context, EventSchema, Middleware } from "moleculer";

export interface LogScope {
  action?: string;
  event?: string;
  requestID?: string;
}

/** What Moleculer binds a logger to (its LoggerBindings, which the package does not export). */
export interface LogBindings {
  nodeID?: string;
  /** The module: a service's full name, or broker, transit, registry, ... */
  mod?: string;
  svc?: string;
}

const storage = new AsyncLocalStorage<LogScope>();

/** The scope of the action or event handler running now, if any. */
export function currentLogScope(): LogScope | undefined {
  return storage.getStore();
}

type ActionHandler = (ctx: Context) => Promise<unknown>;
type EventHandler = (this: unknown, ctx: Context, ...rest: unknown[]) => Promise<unknown>;

export const LogScopeMiddleware: Middleware = {
  name: "LogScope",
  localAction(next: ActionHandler, action: ActionSchema) {
    return function inLogScope(ctx: Context) {
      return storage.run({ action: action.name, requestID: ctx.requestID ?? undefined }, () => next(ctx));
    };
  },
  localEvent(next: EventHandler, _event: EventSchema) {
    return function inLogScope(this: unknown, ctx: Context, ...rest: unknown[]) {
      return storage.run({ event: ctx.eventName ?? undefined, requestID: ctx.requestID ?? undefined }, () => next.call(this, ctx, ...rest));
    };
  },
} as Middleware;

/** Objects as one line of text; an error with its stack (that is where it came from). */
function printArg(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`;
  return inspect(arg, { depth: 4, breakLength: Infinity, colors: false });
}

/** A request id passed in a log call's object argument (`logger.warn("...", { requestID })`). */
function requestIDArgument(args: unknown[]): string | undefined {
  for (const arg of args) {
    const id = arg && typeof arg === "object" ? (arg as { requestID?: unknown }).requestID : undefined;
    if (typeof id === "string") return id;
  }
  return undefined;
}

/**
 * One JSON object per line: time, level, nodeID, service (the logging
 * module: a service name, or broker, transit, registry, ...), then action or
 * event and requestID when a handler's scope is active, then msg.
 */
export function jsonLogFormatter(level: string, args: unknown[], bindings?: LogBindings): string[] {
  const scope = currentLogScope();
  const line = {
    time: new Date().toISOString(),
    level,
    nodeID: bindings?.nodeID,
    service: bindings?.svc ?? bindings?.mod,
    action: scope?.action,
    event: scope?.event,
    requestID: scope?.requestID ?? requestIDArgument(args),
    msg: args.map(printArg).join(" "),
  };
  return [JSON.stringify(line)];
}
