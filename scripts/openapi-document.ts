/**
 * The OpenAPI document of this build, from the code alone: every service's
 * schema (mixins merged) gives the routes moleculer-web would build from the
 * actions' `rest` (services/api/api.service.ts), without starting a broker
 * or a server. test/api/openapi.test.ts checks it equals what a live gateway
 * serves; `npm run openapi` writes it to docs/openapi.json.
 */
import path from "node:path";
import { Service, ServiceBroker, type ServiceSchema } from "moleculer";
import { buildOpenApiDocument, type ActionInfo, type RoutedAlias } from "../services/api/openapi/document";
import { platformServiceNames } from "../services/api/platform-services";
import pkg from "../package.json";

export const DOCUMENT_FILE = path.join(__dirname, "..", "docs", "openapi.json");
export const API_TITLE = "Moleculer Shop API";

/** moleculer-web's two API routes: login and register go through the rate-limited one. */
const AUTH_ROUTE_ACTIONS = new Set(["users.login", "users.register"]);

const join = (...parts: string[]) => `/${parts.join("/")}`.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");

function mergedSchemas(): ServiceSchema[] {
  const servicesDir = path.join(__dirname, "..", "services");
  const broker = new ServiceBroker({ logger: false, transporter: undefined });
  // An unparsed Service: only its mixin merging is used.
  const merger = new Service(broker);
  return platformServiceNames(servicesDir).map((name) => {
    const schema = (require(path.join(servicesDir, name, `${name}.service`)) as { default: ServiceSchema }).default;
    return schema.mixins ? (merger.applyMixins(schema) as ServiceSchema) : schema;
  });
}

/**
 * `asRemote`: the actions as a gateway on another node knows them, through
 * the transporter's JSON (functions and RegExps do not survive it).
 */
export function documentFromCode(options: { asRemote?: boolean } = {}): Record<string, unknown> {
  const aliases: RoutedAlias[] = [];
  const actions = new Map<string, ActionInfo>();
  for (const schema of mergedSchemas()) {
    const settings = (schema.settings ?? {}) as { rest?: unknown };
    const base = typeof settings.rest === "string" ? settings.rest : schema.name;
    for (const [rawName, action] of Object.entries(schema.actions ?? {})) {
      if (typeof action !== "object" || action === null || typeof action.rest !== "string") continue;
      if ((action.visibility ?? "published") !== "published") continue;
      const name = `${schema.name}.${rawName}`;
      const [method, restPath] = action.rest.trim().split(/\s+/);
      aliases.push({ method, fullPath: join("api", base, restPath), action: name, route: AUTH_ROUTE_ACTIONS.has(name) ? "auth" : "api" });
      actions.set(name, (options.asRemote ? JSON.parse(JSON.stringify(action)) : action) as ActionInfo);
    }
  }
  return buildOpenApiDocument({ title: API_TITLE, version: pkg.version, aliases, actions });
}

/** The document as committed: stable key order, two-space indents, a final newline. */
export const documentText = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;
