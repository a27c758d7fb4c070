/**
 * The operator console's calls (docs/api.md: admin routes, "Operations").
 *
 * The one place of the web app that calls `fetch` itself: the typed client of
 * clients/typescript is provisional and does not know the admin routes yet.
 * When the client generated from docs/openapi.json lands, these functions
 * become calls of `api` (web/src/api.ts) with the same signatures.
 */
import { ApiError } from "../api";
import { session, signedOut } from "../session";
import type { ErrorBody, Page } from "../types";
import type { AdminOrder, AdminProduct, AdminUser, ClusterView, DeadLetter, EventsView, FaultRule, ProductFields, Shipment } from "./admin-types";

type Query = Record<string, string | number | undefined>;

async function call<T>(method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE", path: string, { query, body }: { query?: Query; body?: unknown } = {}): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  const headers: Record<string, string> = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError({ code: 0, type: "NETWORK_ERROR", message: "The shop could not be reached. Check your connection and try again." });
  }
  const data = (await response.json().catch(() => undefined)) as unknown;
  if (response.ok) return data as T;
  if (response.status === 401 && headers.Authorization) signedOut();
  const error = (data ?? {}) as Partial<ErrorBody>;
  throw new ApiError({
    code: response.status,
    type: typeof error.type === "string" ? error.type : "HTTP_ERROR",
    message: typeof error.message === "string" ? error.message : `The shop answered ${response.status}`,
    data: error.data,
  });
}

export const adminApi = {
  cluster: () => call<ClusterView>("GET", "/api/admin/cluster"),
  events: () => call<EventsView>("GET", "/api/admin/events"),
  deadLetters: () => call<{ rows: DeadLetter[] }>("GET", "/api/admin/dead-letters", { query: { limit: 100 } }),
  replay: (service: string, seq?: number) => call<{ replayed: number }>("POST", "/api/admin/dead-letters/replay", { body: seq === undefined ? { service } : { service, seq } }),

  orders: (query: Query) => call<Page<AdminOrder>>("GET", "/api/admin/orders", { query }),
  order: (id: string) => call<AdminOrder>("GET", `/api/orders/${encodeURIComponent(id)}`),
  ship: (id: string) => call<AdminOrder>("POST", `/api/admin/orders/${encodeURIComponent(id)}/ship`),
  cancel: (id: string) => call<AdminOrder>("POST", `/api/orders/${encodeURIComponent(id)}/cancel`),
  shipment: (orderId: string) => call<Shipment>("GET", `/api/admin/shipments/${encodeURIComponent(orderId)}`),
  advance: (orderId: string) => call<Shipment>("POST", `/api/admin/shipments/${encodeURIComponent(orderId)}/advance`),

  products: (query: Query) => call<Page<AdminProduct>>("GET", "/api/products", { query }),
  createProduct: (fields: ProductFields & { stock: number }) => call<AdminProduct>("POST", "/api/products", { body: fields }),
  updateProduct: (id: string, fields: Partial<ProductFields>) => call<AdminProduct>("PATCH", `/api/products/${encodeURIComponent(id)}`, { body: fields }),
  archiveProduct: (id: string) => call<AdminProduct>("DELETE", `/api/products/${encodeURIComponent(id)}`),
  changeStock: (id: string, change: { delta: number } | { set: number }, reason: string) =>
    call<AdminProduct>("POST", `/api/products/${encodeURIComponent(id)}/stock`, { body: { ...change, reason } }),

  users: (page: number) => call<Page<AdminUser>>("GET", "/api/users", { query: { page, pageSize: 20 } }),
  setDisabled: (id: string, disabled: boolean) => call<AdminUser>("POST", `/api/users/${encodeURIComponent(id)}/${disabled ? "disable" : "enable"}`),

  faults: () => call<{ rules: FaultRule[] }>("GET", "/api/admin/faults"),
  setFaults: (rules: FaultRule[]) => call<{ rules: FaultRule[] }>("PUT", "/api/admin/faults", { body: { rules } }),
};
