/**
 * A page number the database could never skip to (page=1e300 is an integer
 * to the validator; a real MongoDB refuses a skip that large) is a 422 naming
 * `page`, on every paged list of the API; the largest page allowed is an
 * ordinary (empty) page.
 */
import type { ServiceSchema } from "moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, type ApiClient } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { loadConfig } from "../../platform/config";
import UsersService from "../../services/users/users.service";
import NotificationsService from "../../services/notifications/notifications.service";
import { productsService } from "./catalog-platform";
import { ordersService } from "../orders/orders-platform";

describe("paged lists", () => {
  let platform: LocalPlatform;
  let http: ApiClient;
  const tokens: Record<"customer" | "admin", string> = { customer: "", admin: "" };

  const LISTS: [path: string, caller: "customer" | "admin"][] = [
    ["/products", "customer"],
    ["/orders", "customer"],
    ["/admin/orders", "admin"],
    ["/users", "admin"],
    ["/notifications", "customer"],
  ];

  beforeAll(async () => {
    platform = await startLocalPlatform({
      services: [UsersService, productsService(), ordersService(), { name: "notifications", mixins: [NotificationsService] } as ServiceSchema],
      gateway: true,
      gatewaySettings: { expectedServices: ["users", "products", "orders", "notifications"] },
    });
    http = api(`${platform.baseUrl}/api`);
    // The platform waits for the routes of the schemas it is given; these come from their mixins.
    for (const [path] of LISTS) await waitUntil(async () => (await http.get(path)).status !== 404, { description: `the route of ${path}`, timeoutMs: 10_000, intervalMs: 50 });
    const config = loadConfig(process.env);
    tokens.customer = (await http.post<{ token: string }>("/auth/register", { email: `pager-${process.pid}@example.com`, password: "correct horse battery", name: "Pager" })).body.token;
    tokens.admin = (await http.post<{ token: string }>("/auth/login", { email: config.adminEmail, password: config.adminPassword })).body.token;
    expect(tokens).toEqual({ customer: expect.any(String), admin: expect.any(String) });
  });

  afterAll(async () => {
    await platform?.stop();
  });


  it.each(LISTS)("GET %s refuses a page number no store can skip to, naming the field", async (path, caller) => {
    const res = await http.get<{ code: number; data: { field: string }[] }>(`${path}?page=1e300`, { token: tokens[caller] });
    expect(res.status).toBe(422);
    expect(res.body.data.map((d) => d.field)).toContain("page");
  });

  it.each(LISTS)("GET %s answers the largest page allowed, empty", async (path, caller) => {
    const res = await http.get<{ rows: unknown[]; page: number }>(`${path}?page=100000`, { token: tokens[caller] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: [], page: 100_000 });
  });
});
