/**
 * The OpenAPI 3.1 document of what the gateway serves, built from its
 * routes and the actions behind them: their `rest`, `params`, `auth`,
 * `roles`, and the answers each declares in its `openapi` block
 * (contracts/rest/answers.ts). The same function builds the served
 * /api/openapi.json and the committed docs/openapi.json (scripts/openapi.ts).
 */
import type { ActionDoc, Answer } from "../../../contracts/rest/answers";
import { SCHEMAS, type JsonSchema } from "../../../contracts/rest/schemas";
import { exampleOf, objectExample, objectSchema } from "./json-schema";

export interface RoutedAlias {
  method: string;
  /** As moleculer-web has it, e.g. "/api/products/:id". */
  fullPath: string;
  action: string;
  /** Name of the gateway route that serves it. */
  route?: string;
}

export interface ActionInfo {
  params?: Record<string, unknown>;
  auth?: unknown;
  roles?: unknown;
  openapi?: ActionDoc;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

const TAGS: Record<string, string> = {
  users: "Accounts: register, log in, the caller's profile, and the list of users for admins.",
  products: "The catalog: listing, search, categories, and the admin writes (create, change, archive, stock).",
  cart: "The caller's one cart, addressed by the token.",
  orders: "Checkout, the caller's orders, cancelling, and shipping an order (admin).",
  shipping: "Shipments as admins see and move them.",
  notifications: "The caller's inbox of notifications.",
  api: "The gateway itself: health, readiness, this document.",
};

/** When the gateway or its route answers each error status, and the `type` values it carries then. */
const ERROR_TEXT: Record<string, string> = {
  "400": "The body is not valid JSON, or cannot be read",
  "401": "Missing, invalid or expired token",
  "402": "The payment was declined",
  "403": "Authenticated, but the role is not allowed",
  "404": "Not found (or not the caller's)",
  "409": "Conflict with the current state",
  "413": "Body too large",
  "422": "Validation failed: `data` lists the fields",
  "429": "Rate limited: see Retry-After",
  "503": "A needed service is unavailable: see Retry-After",
  "504": "Timed out",
};

export const RESPONSE_HEADERS: Record<string, JsonSchema> = {
  "X-Request-ID": { description: "The request's id: the client's own when it matched ^[A-Za-z0-9._:-]{1,128}$, else a new UUID.", schema: { type: "string" } },
  Location: { description: "Where the created resource is read.", schema: { type: "string" } },
  "Retry-After": { description: "Seconds to wait before trying again (at least 1).", schema: { type: "integer", minimum: 1 } },
  "X-Rate-Limit-Limit": { description: "Requests allowed per window for this client address.", schema: { type: "integer" } },
  "X-Rate-Limit-Remaining": { description: "Requests left in this window.", schema: { type: "integer" } },
  "X-Rate-Limit-Reset": { description: "When the window resets (epoch milliseconds).", schema: { type: "integer" } },
};

const headerRefs = (names: string[]) => Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** "/api/products/:id" -> "/api/products/{id}" and its path parameter names. */
export function openApiPath(fullPath: string): { path: string; names: string[] } {
  const names: string[] = [];
  const path = fullPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    names.push(name);
    return `{${name}}`;
  });
  return { path, names };
}

/** The statuses the gateway answers on its own for a route like this one. */
function gatewayErrors(method: string, auth: unknown, roles: string[], validates: boolean, rateLimited: boolean): Record<string, string[]> {
  const errors: Record<string, string[]> = { "503": ["SERVICE_UNAVAILABLE"], "504": ["REQUEST_TIMEOUT"] };
  if (BODY_METHODS.has(method)) {
    errors["400"] = ["INVALID_JSON", "INVALID_BODY"];
    errors["413"] = ["PAYLOAD_TOO_LARGE"];
  }
  if (auth === "optional") errors["401"] = ["INVALID_TOKEN", "TOKEN_EXPIRED"];
  else if (auth !== false) errors["401"] = ["NO_TOKEN", "INVALID_TOKEN", "TOKEN_EXPIRED"];
  if (roles.length > 0) errors["403"] = ["FORBIDDEN"];
  if (validates) errors["422"] = ["VALIDATION_ERROR"];
  // moleculer-web's per-address limit names its 429 BAD_REQUEST (docs/api.md, Rate limits).
  if (rateLimited) errors["429"] = ["BAD_REQUEST"];
  return errors;
}

function errorResponse(status: string, types: string[], rateLimited: boolean): JsonSchema {
  const headers = ["X-Request-ID", ...(status === "429" || status === "503" ? ["Retry-After"] : []), ...(rateLimited ? ["X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"] : [])];
  const sorted = [...new Set(types)].sort();
  return {
    description: `${ERROR_TEXT[status] ?? "Error"}. \`type\`: ${sorted.join(", ")}.`,
    headers: headerRefs(headers),
    content: {
      "application/json": {
        schema: { allOf: [{ $ref: "#/components/schemas/Error" }, { type: "object", properties: { code: { const: Number(status) }, type: { enum: sorted } } }] },
        example: { name: "Error", message: ERROR_TEXT[status] ?? "Error", code: Number(status), type: sorted[0] },
      },
    },
  };
}

function successResponse(answer: Answer, rateLimited: boolean): JsonSchema {
  const headers = ["X-Request-ID", ...(answer.headers ?? []), ...(rateLimited ? ["X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"] : [])];
  if (answer.schema === null) return { description: answer.description, headers: headerRefs(headers) };
  return { description: answer.description, headers: headerRefs(headers), content: { "application/json": { schema: answer.schema, example: answer.example } } };
}

/** The gateway's own error answers, shared by the operations that add nothing to them (components.responses). */
const SHARED_ERRORS: Record<string, { name: string; types: string[] }> = {
  "400": { name: "BadBody", types: ["INVALID_BODY", "INVALID_JSON"] },
  "401": { name: "Unauthorized", types: ["INVALID_TOKEN", "NO_TOKEN", "TOKEN_EXPIRED"] },
  "403": { name: "Forbidden", types: ["FORBIDDEN"] },
  "404": { name: "NotFound", types: ["NOT_FOUND"] },
  "413": { name: "PayloadTooLarge", types: ["PAYLOAD_TOO_LARGE"] },
  "422": { name: "ValidationFailed", types: ["VALIDATION_ERROR"] },
  "503": { name: "ServiceUnavailable", types: ["SERVICE_UNAVAILABLE"] },
  "504": { name: "Timeout", types: ["REQUEST_TIMEOUT"] },
};

function errorEntry(status: string, types: string[], rateLimited: boolean): JsonSchema {
  const shared = SHARED_ERRORS[status];
  const same = shared && !rateLimited && [...new Set(types)].sort().join() === shared.types.join();
  return same ? { $ref: `#/components/responses/${shared.name}` } : errorResponse(status, types, rateLimited);
}

/** An action without an `openapi` block still gets a usable entry: its name, and an answer the document cannot describe. */
const UNDESCRIBED: ActionDoc = { summary: "", responses: { 200: { description: "Success", schema: {}, example: {} } } };

function operation(alias: RoutedAlias, info: ActionInfo, names: string[]): Record<string, unknown> {
  const method = alias.method.toUpperCase();
  const doc = info.openapi ?? UNDESCRIBED;
  const params = Object.fromEntries(Object.entries(info.params ?? {}).filter(([key]) => !key.startsWith("$$") && !names.includes(key))) as Record<string, never>;
  const hasParams = Object.keys(params).length > 0;
  const auth = info.auth === undefined ? "required" : info.auth;
  const roles = Array.isArray(info.roles) ? (info.roles as string[]) : [];
  const rateLimited = alias.route === "auth";

  const pathRules = (info.params ?? {}) as Record<string, never>;
  const parameters: unknown[] = names.map((name) => {
    const schema = pathRules[name] ? (objectSchema({ [name]: pathRules[name] }).properties as Record<string, JsonSchema>)[name] : { type: "string" };
    return { name, in: "path", required: true, schema, example: pathRules[name] ? exampleOf(pathRules[name]) : "string" };
  });
  for (const header of doc.headers ?? []) parameters.push({ name: header.name, in: "header", required: header.required, description: header.description, schema: header.schema, example: header.example });
  parameters.push({ $ref: "#/components/parameters/RequestId" });

  const op: Record<string, unknown> = {
    operationId: alias.action,
    tags: [alias.action.split(".")[0]],
    summary: doc.summary || alias.action,
  };
  const access =
    auth === false ? "Public: no token needed." : auth === "optional" ? "A Bearer token is used when sent." : roles.length > 0 ? `Needs a Bearer token of the role ${roles.join(" or ")}.` : "Needs a Bearer token.";
  op.description = [doc.description, access].filter(Boolean).join("\n\n");
  if (BODY_METHODS.has(method) && hasParams) {
    const schema = objectSchema(params, (info.params ?? {}).$$strict);
    op.requestBody = {
      required: Array.isArray(schema.required) && schema.required.length > 0,
      content: { "application/json": { schema, example: doc.requestExample ?? objectExample(params) } },
    };
  } else if (!BODY_METHODS.has(method)) {
    const query = objectSchema(params) as { properties: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties)) {
      parameters.push({ name, in: "query", required: query.required?.includes(name) ?? false, schema, example: exampleOf(params[name]) });
    }
  }
  op.parameters = parameters;

  if (auth === false) op.security = [];
  else if (auth === "optional") op.security = [{}, { bearerAuth: [] }];
  else op.security = [{ bearerAuth: [] }];
  if (roles.length > 0) op["x-roles"] = roles;

  const errors = gatewayErrors(method, auth, roles, hasParams || names.length > 0, rateLimited);
  for (const [status, types] of Object.entries(doc.errors ?? {})) errors[status] = [...(errors[status] ?? []), ...(types ?? [])];
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(doc.responses)) if (answer) responses[status] = successResponse(answer, rateLimited);
  for (const status of Object.keys(errors).sort()) {
    // An action answering a non-error body with this status (readiness's 503) documents it itself.
    if (!responses[status]) responses[status] = errorEntry(status, errors[status], rateLimited);
  }
  op.responses = responses;
  return op;
}

/** The named shapes the operations refer to, directly or through another shape: a fault-rules shape without its routes would be noise. */
function usedSchemas(paths: unknown): Record<string, JsonSchema> {
  const all = SCHEMAS as Record<string, JsonSchema>;
  // Error is the shared error responses' own.
  const used = new Set<string>(["Error"]);
  const stack: unknown[] = [paths, all.Error];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    const ref = (node as { $ref?: unknown }).$ref;
    const name = typeof ref === "string" && ref.startsWith("#/components/schemas/") ? ref.slice("#/components/schemas/".length) : undefined;
    if (name && !used.has(name) && all[name]) {
      used.add(name);
      stack.push(all[name]);
    }
    stack.push(...Object.values(node));
  }
  return Object.fromEntries(Object.keys(all).filter((name) => used.has(name)).map((name) => [name, all[name]]));
}

export function buildOpenApiDocument(input: { title: string; version: string; aliases: RoutedAlias[]; actions: Map<string, ActionInfo> }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...input.aliases].sort((a, b) => a.fullPath.localeCompare(b.fullPath) || a.method.localeCompare(b.method));
  const tags = new Set<string>();
  for (const alias of sorted) {
    const { path, names } = openApiPath(alias.fullPath);
    paths[path] ??= {};
    paths[path][alias.method.toLowerCase()] = operation(alias, input.actions.get(alias.action) ?? {}, names);
    tags.add(alias.action.split(".")[0]);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: input.title,
      version: input.version,
      description:
        "The REST API of Moleculer Shop. Money is integer minor units with an ISO currency code. Every response carries X-Request-ID. " +
        "Lists are paged with page and pageSize (at most 100). Errors share one shape (`Error`); switch on its `type`. " +
        "The reference with the rules behind each answer is docs/api.md in the repository.",
      license: { name: "MIT", url: "https://opensource.org/license/mit" },
    },
    servers: [{ url: "/", description: "The gateway that serves this document" }],
    tags: [...tags].sort().map((name) => ({ name, description: TAGS[name] ?? `The ${name} service.` })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The token of POST /api/auth/login or /api/auth/register." } },
      schemas: usedSchemas(paths),
      headers: RESPONSE_HEADERS,
      responses: Object.fromEntries(Object.entries(SHARED_ERRORS).map(([status, { name, types }]) => [name, errorResponse(status, types, false)])),
      parameters: {
        RequestId: {
          name: "X-Request-ID",
          in: "header",
          required: false,
          description: "Your id for this request, kept when it matches ^[A-Za-z0-9._:-]{1,128}$; it is answered in X-Request-ID and appears in every log line of the request.",
          schema: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" },
          example: "checkout-7f3a",
        },
      },
    },
  };
}
