/**
 * The gateway's memory of routes whose service has no node
 * (services/api/departed-routes.ts): such a route answers 503 naming the service,
 * not 404, until a node of the service is back. The memory on its own, then
 * the gateway on a local broker losing a service.
 */
import type { ServiceSchema } from "moleculer";
import { DepartedRoutes, serviceOfAction, type RouteAlias } from "../../services/api/departed-routes";
import { api, type ApiClient } from "../support/http";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { waitUntil } from "../support/wait-until";

const alias = (method: string, fullPath: string, action: string | null): RouteAlias => ({ method, fullPath, action });
const present = (...services: string[]) => new Set(services);

const GET_PRODUCT = alias("GET", "/api/products/:id", "products.get");
const LIST_PRODUCTS = alias("GET", "/api/products", "products.list");
const GET_CART = alias("GET", "/api/cart", "cart.get");

describe("the service of an action", () => {
  it("is everything before the last dot, a version prefix included", () => {
    expect(serviceOfAction("products.get")).toBe("products");
    expect(serviceOfAction("v2.products.get")).toBe("v2.products");
    expect(serviceOfAction("standalone")).toBe("standalone");
  });
});

describe("the routes kept for services that have no node", () => {
  it("are none while every service is present", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    expect(routes.retained("api", [GET_PRODUCT, LIST_PRODUCTS, GET_CART], present("products", "cart"))).toEqual([]);
    expect(routes.retained("api", [GET_PRODUCT, LIST_PRODUCTS, GET_CART], present("products", "cart"))).toEqual([]);
  });

  it("are the routes a service had before the rebuild that no longer found it, the same alias objects", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    routes.retained("api", [GET_PRODUCT, LIST_PRODUCTS, GET_CART], present("products", "cart"));
    const kept = routes.retained("api", [GET_CART], present("cart"));
    expect(kept).toHaveLength(2);
    expect(kept).toEqual(expect.arrayContaining([GET_PRODUCT, LIST_PRODUCTS]));
    expect(kept.every((a) => a === GET_PRODUCT || a === LIST_PRODUCTS)).toBe(true);
  });

  it("are told apart by method and path: every method of a path is kept", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    const emptyCart = alias("DELETE", "/api/cart", "cart.clear");
    routes.retained("api", [GET_CART, emptyCart], present("cart"));
    expect(routes.retained("api", [], present())).toEqual([GET_CART, emptyCart]);
  });

  it("are kept through any number of rebuilds while the service stays away", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    routes.retained("api", [GET_PRODUCT, GET_CART], present("products", "cart"));
    for (let i = 0; i < 3; i++) expect(routes.retained("api", [GET_CART], present("cart"))).toEqual([GET_PRODUCT]);
  });

  it("are given back to the service once a node of it is back, and it alone defines them: what it no longer publishes is forgotten", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    routes.retained("api", [GET_PRODUCT, LIST_PRODUCTS], present("products"));
    expect(routes.retained("api", [], present())).toHaveLength(2);
    // Back with a new version that dropped the listing.
    expect(routes.retained("api", [GET_PRODUCT], present("products"))).toEqual([]);
    // Gone again: only what it published last is kept.
    expect(routes.retained("api", [], present())).toEqual([GET_PRODUCT]);
  });

  it("are forgotten for a path another present service now serves (no second alias for it)", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    routes.retained("api", [GET_PRODUCT], present("products"));
    const catalog = alias("GET", "/api/products/:id", "catalog.get");
    expect(routes.retained("api", [catalog], present("catalog"))).toEqual([]);
    expect(routes.retained("api", [], present())).toEqual([catalog]);
  });

  it("tell versioned services apart by their full name", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    const v2 = alias("GET", "/api/v2/products/:id", "v2.products.get");
    routes.retained("api", [GET_PRODUCT, v2], present("products", "v2.products"));
    expect(routes.retained("api", [GET_PRODUCT], present("products"))).toEqual([v2]);
    expect(routes.retained("api", [v2], present("v2.products"))).toEqual([GET_PRODUCT]);
  });

  it("are remembered per route: one route's memory never adds aliases to another", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    const login = alias("POST", "/api/auth/login", "users.login");
    routes.retained("auth", [login], present("users", "products"));
    routes.retained("api", [GET_PRODUCT], present("users", "products"));
    expect(routes.retained("auth", [], present())).toEqual([login]);
    expect(routes.retained("api", [], present())).toEqual([GET_PRODUCT]);
  });

  it("never include aliases without an action (a route's own handlers)", () => {
    const routes = new DepartedRoutes<RouteAlias>();
    routes.retained("api", [alias("GET", "/api/custom", null), GET_PRODUCT], present("products"));
    expect(routes.retained("api", [], present())).toEqual([GET_PRODUCT]);
  });
});

describe("the gateway losing a service", () => {
  let platform: LocalPlatform;
  let http: ApiClient;

  const service = (name: string, path: string): ServiceSchema => ({
    name,
    settings: { rest: "/" },
    actions: { get: { rest: `GET ${path}/:id`, auth: false, params: { id: "string" }, handler: (ctx) => ({ service: name, id: ctx.params.id }) } },
  });
  const gatewayAliases = () => (platform.broker.getLocalService("api") as unknown as { aliases: RouteAlias[] }).aliases;
  const answering = (path: string) => waitUntil(async () => (await http.get(path)).status === 200, { description: `${path} answering`, timeoutMs: 5000, intervalMs: 20 });

  beforeAll(async () => {
    platform = await startLocalPlatform({ services: [service("parcels", "/parcels")], gateway: true, gatewaySettings: { expectedServices: ["parcels"] } });
    http = api(`${platform.baseUrl}/api`);
  });
  afterAll(() => platform?.stop());

  it("answers its routes with 503 naming the service once it has no node, not 404, and serves them again when it is back", async () => {
    expect(await http.get("/parcels/7")).toMatchObject({ status: 200, body: { service: "parcels", id: "7" } });

    await platform.broker.destroyService(platform.broker.getLocalService("parcels")!);
    // A service that appears after the loss: its route answers once the gateway has rebuilt its routes without parcels.
    platform.broker.createService(service("marker", "/marker"));
    await answering("/marker/1");

    const gone = await http.get<{ message: string }>("/parcels/7");
    expect(gone.status).toBe(503);
    expect(gone.body).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", data: { service: "parcels" } });
    expect(gone.body.message).toContain("parcels");
    expect(gone.headers.get("retry-after")).toBeTruthy();
    // Each route once: the kept one, and the present service's own only (not a kept copy of it as well).
    const routed = (action: string) => gatewayAliases().filter((a) => a.action === action).length;
    expect([routed("parcels.get"), routed("marker.get")]).toEqual([1, 1]);
    // A route that never existed is still a 404.
    expect((await http.get("/no/such/route")).status).toBe(404);

    // The kept route serves as soon as a node of the service is back.
    platform.broker.createService(service("parcels", "/parcels"));
    await answering("/parcels/1");
    expect(await http.get("/parcels/7")).toMatchObject({ status: 200, body: { service: "parcels", id: "7" } });
  });
});
