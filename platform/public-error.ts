/**
 * What a client sees of an error: docs/api.md's shape, the right status, and
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

/**
 * An error of the body parser in docs/api.md's terms; null for any other error.
 * Its errors have types like "entity.parse.failed"; those of a body that does
 * not inflate as its Content-Encoding says have none, only a 4xx `status`
 * and `expose` (http-errors), and moleculer-web would keep just their zlib
 * code ("Z_DATA_ERROR"), so the gateway converts them before it wraps them.
 */
export function bodyParserError(err: unknown): PublicError | null {
  const e = (err ?? {}) as AnyError & { expose?: unknown };
  const typed = typeof e.type === "string" && /^(entity|charset|encoding|request)\./.test(e.type);
  const status = typeof e.status === "number" ? e.status : typeof e.code === "number" ? e.code : undefined;
  const httpError = typeof e.expose === "boolean" && status !== undefined && status >= 400 && status < 500;
  // A 5xx of the parser ("stream.not.readable") is the server's own fault: a 500 like any other.
  if ((!typed && !httpError) || (status !== undefined && status >= 500)) return null;
  if (e.type === "entity.too.large") {
    return { name: "PayloadTooLargeError", message: "Request body is too large", code: 413, type: "PAYLOAD_TOO_LARGE" };
  }
  if (e.type === "entity.parse.failed") {
    return { name: "BadRequestError", message: "Malformed JSON in request body", code: 400, type: "INVALID_JSON" };
  }
  return { name: "BadRequestError", message: "Unreadable request body", code: status !== undefined && status >= 400 && status < 500 ? status : 400, type: "INVALID_BODY" };
}

/**
 * Node's own answer to a request it cannot parse (it has no request object,
 * so the gateway's onError never sees it), for `code` of its clientError.
 */
export function httpParseError(code: unknown): PublicError {
  if (code === "HPE_HEADER_OVERFLOW") {
    return { name: "RequestHeaderFieldsTooLargeError", message: "The request line or headers are too large", code: 431, type: "HEADERS_TOO_LARGE" };
  }
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") return { name: "PayloadTooLargeError", message: "Request body is too large", code: 413, type: "PAYLOAD_TOO_LARGE" };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return { name: "RequestTimeoutError", message: "The request was not received in time", code: 408, type: "CLIENT_TIMEOUT" };
  return { name: "BadRequestError", message: "Malformed HTTP request", code: 400, type: "BAD_REQUEST" };
}

export function toPublicError(err: unknown): PublicError {
  const e = (err ?? {}) as AnyError;

  // body-parser's errors (moleculer-web moves `status` to `code`).
  const body = bodyParserError(err);
  if (body) return body;

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
