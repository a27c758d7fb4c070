/**
 * What a client sees of an error: API.md's shape, the right status, and
 * nothing internal (no stack, file path, node id or host name).
 */
export interface PublicError {
  name: string;
  message: string;
  code: number;
  type: string;
  data?: unknown;
}

interface AnyError {
  name?: string;
  message?: string;
  code?: unknown;
  status?: unknown;
  type?: string;
  data?: unknown;
}

const UNAVAILABLE = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE", "REQUEST_REJECTED", "QUEUE_FULL", "BROKER_DISCONNECTED"]);

/** The service name from Moleculer's "users.resolveToken" style action names. */
function serviceOf(data: unknown): string | undefined {
  const action = (data as { action?: unknown } | undefined)?.action;
  return typeof action === "string" ? action.split(".")[0] : undefined;
}

// Validation errors echo the whole rejected value (`actual`): the field and rule are enough.
function validationData(data: unknown): unknown {
  if (!Array.isArray(data)) return undefined;
  return data.map((d: { field?: unknown; message?: unknown; type?: unknown }) => ({ field: d.field, message: d.message, type: d.type }));
}

function withoutNodeID(data: unknown): unknown {
  if (data == null || typeof data !== "object" || Array.isArray(data)) return data;
  const { nodeID: _nodeID, ...rest } = data as Record<string, unknown>;
  return rest;
}

export function toPublicError(err: unknown): PublicError {
  const e = (err ?? {}) as AnyError;

  // body-parser's errors have types like "entity.parse.failed" (moleculer-web moves `status` to `code`).
  if (typeof e.type === "string" && /^(entity|charset|encoding)\./.test(e.type)) {
    const status = typeof e.code === "number" ? e.code : typeof e.status === "number" ? e.status : 400;
    if (e.type === "entity.too.large") {
      return { name: "PayloadTooLargeError", message: "Request body is too large", code: 413, type: "PAYLOAD_TOO_LARGE" };
    }
    if (e.type === "entity.parse.failed") {
      return { name: "BadRequestError", message: "Malformed JSON in request body", code: 400, type: "INVALID_JSON" };
    }
    return { name: "BadRequestError", message: "Unreadable request body", code: status >= 400 && status < 500 ? status : 400, type: "INVALID_BODY" };
  }

  const code = typeof e.code === "number" ? e.code : typeof e.status === "number" ? e.status : 500;
  const type = typeof e.type === "string" ? e.type : "";

  if (UNAVAILABLE.has(type)) {
    const service = serviceOf(e.data);
    return {
      name: "ServiceUnavailableError",
      message: service ? `The ${service} service is unavailable, try again later` : "Service unavailable, try again later",
      code: 503,
      type: "SERVICE_UNAVAILABLE",
      data: service ? { service } : undefined,
    };
  }
  // REQUEST_SKIPPED: the request's time budget ran out before a nested call could start.
  if (type === "REQUEST_TIMEOUT" || type === "REQUEST_SKIPPED" || code === 504) {
    return { name: "GatewayTimeoutError", message: "The request timed out", code: 504, type: "REQUEST_TIMEOUT" };
  }
  if (type === "VALIDATION_ERROR") {
    return { name: "ValidationError", message: "Parameters validation error", code: 422, type, data: validationData(e.data) };
  }
  if (code >= 400 && code < 500) {
    return { name: e.name || "ClientError", message: e.message || "Bad request", code, type: type || "BAD_REQUEST", data: withoutNodeID(e.data) };
  }
  if (code === 503) {
    return { name: e.name || "ServiceUnavailableError", message: e.message || "Service unavailable", code, type: type || "SERVICE_UNAVAILABLE", data: withoutNodeID(e.data) };
  }
  // Anything else is a bug: the details go to the log, never to the client.
  return { name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" };
}
