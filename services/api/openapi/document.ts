/**
 * The OpenAPI 3.1 document of what the gateway serves, built from its live
 * routes and the actions behind them (their `rest`, `params`, `auth`,
 * `roles`), so it always matches the running cluster.
 */
import { exampleOf, objectExample, objectSchema, type JsonSchema } from "./json-schema";

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
  summary?: unknown;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

const ERROR_TEXT: Record<string, string> = {
  "400": "Malformed JSON body",
  "401": "Missing, invalid or expired token",
  "403": "Authenticated, but the role is not allowed",
  "404": "Unknown route or resource",
  "409": "Conflict with the current state",
  "413": "Body too large",
  "422": "Validation failed: `data` lists the fields",
  "429": "Rate limited: see Retry-After",
  "503": "A needed service is unavailable",
  "504": "Timed out",
};

/** "/api/products/:id" -> "/api/products/{id}" and its path parameter names. */
export function openApiPath(fullPath: string): { path: string; names: string[] } {
  const names: string[] = [];
  const path = fullPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    names.push(name);
    return `{${name}}`;
  });
  return { path, names };
}

function errorResponses(codes: string[]): Record<string, unknown> {
  return Object.fromEntries(codes.map((code) => [code, { $ref: `#/components/responses/E${code}` }]));
}

function operation(alias: RoutedAlias, info: ActionInfo, names: string[]): Record<string, unknown> {
  const method = alias.method.toUpperCase();
  const params = Object.fromEntries(Object.entries(info.params ?? {}).filter(([key]) => !key.startsWith("$$") && !names.includes(key))) as Record<string, never>;
  const hasParams = Object.keys(params).length > 0;
  const auth = info.auth === undefined ? "required" : info.auth;
  const roles = Array.isArray(info.roles) ? (info.roles as string[]) : [];

  const parameters: unknown[] = names.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  const op: Record<string, unknown> = {
    operationId: alias.action,
    tags: [alias.action.split(".")[0]],
    summary: typeof info.summary === "string" ? info.summary : alias.action,
  };
  if (BODY_METHODS.has(method)) {
    if (hasParams) {
      op.requestBody = {
        required: true,
        content: { "application/json": { schema: objectSchema(params, (info.params ?? {}).$$strict), example: objectExample(params) } },
      };
    }
  } else {
    const body = objectSchema(params) as { properties: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(body.properties)) {
      parameters.push({ name, in: "query", required: body.required?.includes(name) ?? false, schema, example: exampleOf(params[name]) });
    }
  }
  if (parameters.length > 0) op.parameters = parameters;

  if (auth === false) op.security = [];
  else if (auth === "optional") op.security = [{}, { bearerAuth: [] }];
  else op.security = [{ bearerAuth: [] }];
  if (roles.length > 0) {
    op.description = `Requires the role ${roles.join(" or ")}.`;
    op["x-roles"] = roles;
  }

  const errors = ["404", "503", "504"];
  if (BODY_METHODS.has(method)) errors.push("400", "413");
  if (auth !== false) errors.push("401");
  if (roles.length > 0) errors.push("403");
  if (hasParams || names.length > 0) errors.push("422");
  if (alias.route === "auth") errors.push("429");
  op.responses = { "2XX": { description: "Success", content: { "application/json": { schema: {} } } }, ...errorResponses(errors.sort()) };
  return op;
}

export function buildOpenApiDocument(input: { title: string; version: string; aliases: RoutedAlias[]; actions: Map<string, ActionInfo> }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...input.aliases].sort((a, b) => a.fullPath.localeCompare(b.fullPath) || a.method.localeCompare(b.method));
  for (const alias of sorted) {
    const { path, names } = openApiPath(alias.fullPath);
    paths[path] ??= {};
    paths[path][alias.method.toLowerCase()] = operation(alias, input.actions.get(alias.action) ?? {}, names);
  }
  const responses = Object.fromEntries(
    Object.entries(ERROR_TEXT).map(([code, description]) => [
      `E${code}`,
      { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" }, example: { name: "Error", message: description, code: Number(code), type: "SOME_CODE" } } } },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: input.title,
      version: input.version,
      description: "Money is integer minor units with an ISO currency code. Every response carries X-Request-ID. Lists are paged with page and pageSize (at most 100).",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: {
        Error: {
          type: "object",
          required: ["name", "message", "code", "type"],
          properties: { name: { type: "string" }, message: { type: "string" }, code: { type: "integer" }, type: { type: "string" }, data: {} },
        },
      },
      responses,
    },
  };
}
