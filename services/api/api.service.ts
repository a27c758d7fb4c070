/**
 * The REST gateway (docs/api.md). Routes come from the `rest` of each action in the
 * cluster; only those are reachable ("restrict"). Every action's `auth` and
 * `roles` are enforced here, before the call leaves the gateway.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { Errors, type Context, type ServiceSchema, type Service } from "moleculer";
import ApiGateway from "moleculer-web";
import { config } from "../../platform/config";
import { createdLocation } from "./created-locations";
import { bodyParserError, httpParseError, toPublicError } from "../../platform/public-error";
import { TtlCache } from "../../platform/ttl-cache";
import { clientAddress, type TrustProxy } from "../../platform/client-address";
import { authDecision, parseBearer } from "./access";
import { readiness, servicesWithoutRoutes } from "./readiness";
import { awaitedServiceNames } from "./platform-services";
import { admit, createAdmission } from "./admission-gate";
import type { AdmissionControl } from "./admission";
import { DepartedRoutes, serviceOfAction, type RouteAlias } from "./departed-routes";
import type { FaultRule } from "../../platform/fault-rules";
import { buildOpenApiDocument, type ActionInfo, type RoutedAlias } from "./openapi/document";
import { docsAsset, docsPage } from "./openapi/docs-page";
import { isApiPath, isClientRoute, storefrontAssets } from "./storefront";
import { securityHeaders, setHeaders } from "./security-headers";
import { responseCompression } from "./compression";
import pkg from "../../package.json";
import type { AuthUser, ShopMeta, ShopSettings } from "../../types/moleculer";
import { answer } from "../../contracts/rest/answers";

type GatewayRequest = IncomingMessage & { $action?: { auth?: unknown; roles?: unknown; name?: string }; $alias?: { action?: unknown }; $ctx?: Context };
type GatewayAlias = RouteAlias & { route: unknown; _generated?: boolean };
interface GatewayVars {
  /** moleculer-web's routes, rebuilt when services come and go. */
  aliases: unknown[];
  /** Routes of services with no node at the moment: they answer 503, not 404 (services/api/departed-routes.ts). */
  departedRoutes: DepartedRoutes<GatewayAlias>;
  tokenCache: TtlCache<AuthUser>;
  expectedServices: string[];
  compress: ReturnType<typeof responseCompression>;
  securityHeaders: Record<string, string>;
  /** Undefined when ADMISSION_CONTROL is off. */
  admission?: AdmissionControl;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const RATE_LIMITED_ACTIONS = ["users.login", "users.register"];
/** Answered with a weak ETag, and 304 to a matching If-None-Match: the storefront reads them on every page. */
const CATALOG_READS = ["products.list", "products.get", "products.categories"];

/**
 * Drops every "__proto__" key of the JSON body, like any unknown key: at the
 * top it would become the prototype of the action's params (moleculer-web
 * merges them with Object.assign), its fields readable as if sent. A walk
 * rather than a JSON.parse reviver, which recurses and fails on deep bodies.
 */
function withoutProtoKeys(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: () => void) {
  const stack: unknown[] = [req.body];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    if (Object.hasOwn(node, "__proto__")) delete (node as Record<string, unknown>)["__proto__"];
    for (const child of Object.values(node)) stack.push(child);
  }
  next();
}

/**
 * The body parser's errors as client errors, while they still have their
 * status: moleculer-web would wrap a body that does not inflate as its
 * Content-Encoding says into an error with only a zlib code (a 500).
 * Four parameters: moleculer-web calls it only when a middleware failed.
 */
function bodyErrors(err: unknown, _req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void) {
  const known = bodyParserError(err);
  if (!known) return next(err);
  const clientError = new Errors.MoleculerClientError(known.message, known.code, known.type);
  clientError.name = known.name;
  next(clientError);
}

const UNPARSABLE_LINGER_MS = 5_000;

/**
 * A request Node cannot parse (headers or URL over its limit, broken
 * framing) never reaches moleculer-web: Node would close the connection with
 * a bare status line. Answer in docs/api.md's error shape, with a request id,
 * where Node would answer at all: not once a response has started on the
 * connection. end(), not destroy(): a client still sending its body must
 * still get to read the answer.
 */
function answerUnparsable(err: NodeJS.ErrnoException, socket: Duplex) {
  const inFlight = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?._headerSent) {
    socket.destroy();
    return;
  }
  const body = httpParseError(err.code);
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${body.code} ${STATUS_CODES[body.code]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `X-Request-ID: ${randomUUID()}\r\nConnection: close\r\n\r\n${text}`,
  );
  // No parser watches this connection any more: a client that never closes its side does not keep it.
  const linger = setTimeout(() => socket.destroy(), UNPARSABLE_LINGER_MS).unref();
  socket.once("close", () => clearTimeout(linger));
}

const API_ROUTE = {
  path: "/api",
  autoAliases: true,
  mappingPolicy: "restrict",
  authentication: true,
  authorization: true,
  bodyParsers: { json: { strict: true, limit: config.bodyLimit }, urlencoded: false },
  use: [bodyErrors, withoutProtoKeys],
  async onBeforeCall(this: Service<ShopSettings> & GatewayVars, ctx: Context<unknown, ShopMeta>, _route: unknown, req: GatewayRequest, res: ServerResponse) {
    // For limits kept by the services (login attempts per account and address).
    ctx.meta.clientAddress = clientAddress(req, this.settings.trustProxy as TrustProxy);
    const key = req.headers["idempotency-key"];
    if (typeof key === "string" && IDEMPOTENCY_KEY.test(key)) ctx.meta.idempotencyKey = key;
    if (this.admission) await admit(this.admission, req.$action, res);
  },
  onAfterCall(ctx: Context<unknown, ShopMeta & { $statusCode?: number; $location?: string }>, _route: unknown, req: IncomingMessage & { $action?: { name?: string } }, _res: unknown, data: unknown) {
    if (ctx.meta.$statusCode === 201 && !ctx.meta.$location) {
      const location = createdLocation(req.$action?.name, data);
      if (location) ctx.meta.$location = location;
    }
    return data;
  },
};

/** From the error (our own limits) or moleculer-web's rate-limit reset header; at least 1 s. */
function retryAfterSeconds(err: Error, res: ServerResponse): number {
  const given = (err as { data?: { retryAfter?: unknown } }).data?.retryAfter;
  if (typeof given === "number" && given > 0) return Math.ceil(given);
  const reset = Number(res.getHeader("X-Rate-Limit-Reset"));
  return Number.isFinite(reset) && reset > Date.now() ? Math.ceil((reset - Date.now()) / 1000) : 1;
}

const FAULT_ACTIONS = {
  faults: {
    rest: "GET /admin/faults",
    openapi: {
      summary: "Read the fault rules of every node",
      description: "Only where FAULT_INJECTION or FAULT_RULES is set.",
      responses: { 200: answer("FaultRules", "The rules in force") },
    },
    roles: ["admin"],
    params: {},
    async handler(ctx: Context) {
      // The shape PUT answers and the OpenAPI document promises: `{ rules }`, not faults.list's bare array.
      return { rules: await ctx.call<FaultRule[]>("faults.list") };
    },
  },
  setFaults: {
    rest: "PUT /admin/faults",
    openapi: {
      summary: "Replace the fault rules of every node",
      description: "Only where FAULT_INJECTION or FAULT_RULES is set.",
      responses: { 200: answer("FaultRules", "The rules now in force") },
    },
    roles: ["admin"],
    params: {
      rules: {
        type: "array",
        max: 50,
        items: {
          type: "object",
          strict: "remove",
          props: {
            target: { type: "string", pattern: /^[a-z][A-Za-z0-9-]*(\.[A-Za-z0-9]+)?$/ },
            latencyMs: { type: "number", integer: true, min: 0, max: 120_000, optional: true },
            errorRate: { type: "number", min: 0, max: 1, optional: true },
            errorCode: { type: "enum", values: [500, 503, 504], optional: true },
          },
        },
      },
      $$strict: "remove",
    },
    async handler(ctx: Context<{ rules: FaultRule[] }>) {
      await ctx.broadcast("faults.changed", { rules: ctx.params.rules });
      return { rules: ctx.params.rules };
    },
  },
} satisfies ServiceSchema["actions"];

const ApiService: ServiceSchema<ShopSettings, Record<string, never>, GatewayVars> = {
  name: "api",
  mixins: [ApiGateway as unknown as Partial<ServiceSchema>],

  settings: {
    // Services declare full paths in their actions' `rest` (e.g. "GET /products/:id").
    rest: "/",
    port: config.port,
    // Development listens on the loopback only (HOST to change it): a laptop on a café network is not a server.
    ip: config.host,
    // The storefront at / (services/api/storefront.ts); the API stays below /api.
    assets: storefrontAssets(config.webDir),
    /** Strict-Transport-Security max-age (HSTS_MAX_AGE); 0: none. */
    hstsMaxAgeSec: config.hstsMaxAgeSec,
    // A client's X-Request-ID is kept only when it is short and plain (it ends up in logs).
    rootCallOptions(options: { requestID?: string }) {
      if (!options.requestID || !REQUEST_ID.test(options.requestID)) options.requestID = randomUUID();
    },
    cors: config.corsOrigins
      ? {
          origin: config.corsOrigins,
          methods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
          allowedHeaders: ["Content-Type", "Authorization", "Idempotency-Key", "X-Request-ID"],
          exposedHeaders: ["X-Request-ID", "Retry-After", "Location"],
          maxAge: 3600,
        }
      : undefined,
    logRequest: "debug",
    logResponse: "debug",
    log4XXResponses: false,
    logRequestParams: null,
    logResponseData: null,
    /** Per client address, on the routes that guess passwords (login, register). */
    authRateLimit: { window: 60_000, limit: config.authRateLimit },
    /** Which forwarded address to believe (TRUST_PROXY): moleculer-web's default key is X-Forwarded-For as sent, which a client picks. */
    trustProxy: config.trustProxy,
    onError(this: Service, req: GatewayRequest, res: ServerResponse, err: Error) {
      const body = toPublicError(err);
      // moleculer-web's own 503 for a route whose service has no node names nothing: name the service, as for any call.
      if (err instanceof ApiGateway.Errors.ServiceUnavailableError && body.data === undefined && typeof req.$alias?.action === "string") {
        const service = serviceOfAction(req.$alias.action);
        Object.assign(body, { message: `The ${service} service is unavailable, try again later`, data: { service } });
      }
      const requestID = req.$ctx?.requestID;
      if (body.code === 500) this.logger.error("Unhandled error", { requestID, url: req.url, err });
      if (!res.headersSent) {
        if (requestID && !res.getHeader("X-Request-ID")) res.setHeader("X-Request-ID", requestID);
        if (body.code === 429 || body.code === 503) res.setHeader("Retry-After", String(retryAfterSeconds(err, res)));
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.writeHead(body.code);
      }
      res.end(JSON.stringify(body));
    },
  },

  // The routes are built here so that a test (or a wrapping schema) can change the limits first.
  merged(schema: ServiceSchema) {
    const settings = schema.settings as ShopSettings;
    const rateLimit = settings.authRateLimit as { window: number; limit: number };
    const trust = settings.trustProxy as TrustProxy;
    // Named: moleculer-web keeps only one of two unnamed routes with the same path.
    settings.routes = [
      { ...API_ROUTE, name: "auth", whitelist: RATE_LIMITED_ACTIONS, rateLimit: { ...rateLimit, headers: true, key: (req: IncomingMessage) => clientAddress(req, trust) } },
      { ...API_ROUTE, name: "catalog", whitelist: CATALOG_READS, etag: true },
      { ...API_ROUTE, name: "api", blacklist: [...RATE_LIMITED_ACTIONS, ...CATALOG_READS] },
      // Static pages read no body: no parser (moleculer-web's default one would turn a body it cannot read into a 500).
      { name: "docs", path: "/api/docs", mappingPolicy: "restrict", bodyParsers: false, aliases: { "GET /": docsPage, "GET /:file": docsAsset } },
    ];
  },

  actions: {
    // moleculer-web's alias listing would publish every route and action name.
    listAliases: false,

    // Bounds what one gateway node accepts at once; the rest queue, then get 503. (moleculer-web gives it no
    // timeout: each call of a request gets REQUEST_TIMEOUT from when admission control lets it go.)
    rest: { bulkhead: { enabled: true, concurrency: 500, maxQueueSize: 5000 } },

    live: {
      rest: "GET /health/live",
      openapi: {
        summary: "Tell whether the gateway process serves",
        responses: { 200: answer("Health", "The process serves") },
      },
      auth: false,
      params: {},
      handler() {
        return { status: "ok" };
      },
    },

    // Only where FAULT_INJECTION is on: change every node's fault rules at runtime.
    ...(config.faultInjection || config.faultRules.length > 0 ? FAULT_ACTIONS : {}),

    openapi: {
      rest: "GET /openapi.json",
      openapi: {
        summary: "Read this document",
        description: "The OpenAPI 3.1 description of the routes this gateway serves.",
        responses: { 200: answer("OpenApiDocument", "The document") },
      },
      auth: false,
      params: {},
      handler() {
        const aliases = (this.aliases as { method: string; fullPath: string; action?: string; route?: { opts?: { name?: string } } }[])
          .filter((alias) => alias.action)
          .map((alias): RoutedAlias => ({ method: alias.method, fullPath: alias.fullPath, action: alias.action as string, route: alias.route?.opts?.name }));
        const actions = new Map<string, ActionInfo>();
        for (const item of this.broker.registry.getActionList({ skipInternal: true, withEndpoints: false }) as { name: string; action?: ActionInfo }[]) {
          if (item.action) actions.set(item.name, item.action);
        }
        return buildOpenApiDocument({ title: "Moleculer Shop API", version: pkg.version, aliases, actions });
      },
    },

    ready: {
      rest: "GET /health/ready",
      openapi: {
        summary: "Tell whether the cluster can serve every route",
        responses: { 200: answer("Readiness", "Ready"), 503: answer("Readiness", "Not ready: the report says what is missing") },
      },
      auth: false,
      params: {},
      handler(ctx: Context<unknown, ShopMeta>) {
        const registry = this.broker.registry.getServiceList({ onlyAvailable: true, withActions: true });
        const routed = new Set((this.aliases as { action?: string }[]).map((alias) => alias.action).filter((name): name is string => Boolean(name)));
        const report = readiness({
          connected: this.broker.transit ? Boolean(this.broker.transit.connected) : true,
          embedded: !this.broker.transit,
          expected: this.expectedServices,
          registry,
          routesPending: servicesWithoutRoutes(registry as Parameters<typeof servicesWithoutRoutes>[0], routed),
        });
        if (!report.ready) ctx.meta.$statusCode = 503;
        return report;
      },
    },
  },

  events: {
    // users ended tokens (logout, password change): this node stops answering from its cache at once, not within AUTH_CACHE_TTL.
    "users.tokensRevoked"(this: Service & GatewayVars, ctx: Context<{ userId?: unknown; tokenId?: unknown }>) {
      const { userId, tokenId } = ctx.params;
      this.tokenCache.deleteWhere((_token, user) => user.id === userId && (tokenId === undefined || user.tokenId === tokenId));
    },
  },

  methods: {
    /** Every answer, the API's and the storefront's: security headers, then compression. */
    httpHandler(this: Service & GatewayVars, req: IncomingMessage, res: ServerResponse, next?: unknown) {
      setHeaders(res, this.securityHeaders);
      const handle = (ApiGateway.methods as { httpHandler(this: unknown, ...args: unknown[]): Promise<void> }).httpHandler;
      this.compress(req, res, () => void handle.call(this, req, res, next));
    },

    /** A page address no file answers gets the storefront's index.html; everything else moleculer-web's 404. */
    send404(this: Service & { serve?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void }, req: IncomingMessage, res: ServerResponse) {
      const notFound = () => (ApiGateway.methods as { send404(this: unknown, ...args: unknown[]): void }).send404.call(this, req, res);
      if (!this.serve || !isClientRoute(req)) return notFound();
      req.url = "/index.html";
      this.serve(req, res, notFound);
    },

    /** moleculer-web's rebuild of a route, plus the routes of services that are gone for now (503 rather than 404). */
    regenerateAutoAliases(this: Service & GatewayVars, route: unknown) {
      (ApiGateway.methods as { regenerateAutoAliases(this: unknown, route: unknown): void }).regenerateAutoAliases.call(this, route);
      const present = new Set(
        (this.broker.registry.getServiceList({ onlyAvailable: false }) as { name: string; fullName?: string }[]).flatMap((s) => [s.name, s.fullName ?? s.name]),
      );
      const current = (this.aliases as GatewayAlias[]).filter((alias) => alias.route === route && alias._generated);
      // Here rather than in created(): moleculer-web's created() builds the routes before ours runs.
      this.departedRoutes ??= new DepartedRoutes<GatewayAlias>();
      const kept = this.departedRoutes.retained(route, current, present);
      if (kept.length === 0) return;
      this.aliases.push(...kept);
      if ((this.settings as { optimizeOrder?: boolean }).optimizeOrder !== false) (this as unknown as { optimizeAliasesOrder(): void }).optimizeAliasesOrder();
    },

    async authenticate(ctx: Context, _route: unknown, req: GatewayRequest): Promise<AuthUser | null> {
      // A public route does not look at credentials, so a stale token cannot break it.
      if (req.$action?.auth === false) return null;
      const token = parseBearer(req.headers.authorization);
      if (token === null) return null;
      const cached = this.tokenCache.get(token);
      if (cached) return cached;
      const user = await ctx.call<AuthUser, { token: string }>("users.resolveToken", { token });
      this.tokenCache.set(token, user, config.authCacheTtlMs);
      return user;
    },

    authorize(ctx: Context<unknown, ShopMeta>, _route: unknown, req: GatewayRequest) {
      const denial = authDecision(req.$action ?? {}, ctx.meta.user);
      if (denial) throw denial;
    },
  },

  created() {
    this.tokenCache = new TtlCache<AuthUser>(10_000);
    this.compress = responseCompression();
    this.securityHeaders = securityHeaders({ hstsMaxAgeSec: this.settings.hstsMaxAgeSec as number });
    const admission = (this.settings.admission as { concurrency?: Record<string, number>; maxWaitMs?: number; latencyTargetMs?: number } | undefined) ?? {};
    if (config.admissionControl) {
      this.admission = createAdmission(this.broker, {
        concurrency: { ...config.admissionConcurrency, ...admission.concurrency },
        maxWaitMs: admission.maxWaitMs ?? config.admissionQueueMs,
        latencyTargetMs: admission.latencyTargetMs ?? config.admissionLatencyTargetMs,
      });
    }
    // The storefront's files are never answers under /api (moleculer-web hands unrouted API paths to its static server).
    const self = this as unknown as { serve?: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void };
    const serveFiles = self.serve;
    if (serveFiles) self.serve = (req, res, next) => (isApiPath(req) ? next() : serveFiles(req, res, next));
    // moleculer-web's created() (it runs first) made the server.
    const server = (this as unknown as { server?: Server }).server;
    server?.on("clientError", answerUnparsable);
    if (server) {
      // Node's 5 s default closed connections that clients were about to reuse (see config.httpKeepAliveMs).
      server.keepAliveTimeout = config.httpKeepAliveMs;
      // Node wants the wait for a request's headers longer than the idle wait before it.
      server.headersTimeout = Math.max(server.headersTimeout, config.httpKeepAliveMs + 1000);
    }
    // Settable for tests that run a handful of services; otherwise every service this build contains.
    const expected = this.settings.expectedServices as string[] | undefined;
    this.expectedServices = expected ?? awaitedServiceNames(path.resolve(__dirname, ".."));
  },
};

export default ApiService;
