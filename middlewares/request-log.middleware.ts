/**
 * Puts the request id into the logs of every node a request touches: a debug
 * line per local action call, a warning per failed one. The id itself travels
 * in the context (ctx.requestID), set by the gateway from X-Request-ID.
 */
import type { Context, Middleware, ActionSchema, Errors } from "moleculer";

type Handler = (ctx: Context) => Promise<unknown>;


export const RequestLogContext: Middleware = {
  name: "RequestLogContext",
  localAction(next: Handler, action: ActionSchema) {
    return async function requestLogged(this: unknown, ctx: Context) {
      const logger = ctx.service?.logger ?? ctx.broker.logger;
      logger.debug(`call ${action.name}`, { requestID: ctx.requestID, caller: ctx.caller, nodeID: ctx.nodeID });
      try {
        return await next(ctx);
      } catch (err) {
        const e = err as Errors.MoleculerError;
        // Client errors are answers, not faults: keep them at debug level.
        const level = typeof e.code === "number" && e.code < 500 ? "debug" : "warn";
        logger[level](`${action.name} failed: ${e.name}: ${e.message}`, { requestID: ctx.requestID, code: e.code, type: e.type });
        throw err;
      }
    };
  },
} as Middleware;
