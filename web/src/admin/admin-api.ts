/**
 * The operator console's calls: the typed client of clients/typescript
 * (web/src/api.ts), so every path, parameter, body and answer of an admin
 * route is checked against docs/openapi.json, and the console's types are
 * the document's schemas.
 */
import createClient from "openapi-fetch";
import type { components, operations } from "../../../clients/typescript";
import type { FaultRule } from "../../../platform/fault-rules";
import { api, read, sessionMiddleware } from "../api";

type Schemas = components["schemas"];
export type ClusterView = Schemas["ClusterView"];
export type EventBacklogs = Schemas["EventBacklogs"];
export type DeadLetter = Schemas["DeadLetterList"]["rows"][number];
export type AdminOrder = Schemas["AdminOrder"];
export type AdminOrderPage = Schemas["AdminOrderPage"];
export type Order = Schemas["Order"];
export type Shipment = Schemas["Shipment"];
export type Product = Schemas["Product"];
export type ProductPage = Schemas["ProductPage"];
export type User = Schemas["User"];
export type UserPage = Schemas["UserPage"];
export type { FaultRule };

type JsonBody<Op extends { requestBody?: unknown }> = NonNullable<Op["requestBody"]> extends { content: { "application/json": infer B } } ? B : never;
export type ProductFields = JsonBody<operations["products.create"]>;
export type ProductChanges = JsonBody<operations["products.update"]>;
export type OrderQuery = NonNullable<operations["orders.adminList"]["parameters"]["query"]>;

/**
 * Left out of docs/openapi.json on purpose (scripts/openapi.ts): these routes
 * exist only where FAULT_INJECTION is on. Typed by the rules the gateway
 * validates (platform/fault-rules.ts).
 */
interface FaultRoutes {
  "/api/admin/faults": {
    get: { responses: { 200: { content: { "application/json": { rules: FaultRule[] } } } } };
    put: {
      requestBody: { content: { "application/json": { rules: FaultRule[] } } };
      responses: { 200: { content: { "application/json": { rules: FaultRule[] } } } };
    };
  };
}

const faultsClient = createClient<FaultRoutes>({ baseUrl: "" });
faultsClient.use(sessionMiddleware);

/** read() with T the success body the typed client declares for the route. */
const answer = <T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> => read<T>(call);

const id = (value: string) => ({ params: { path: { id: value } } });
const orderId = (value: string) => ({ params: { path: { orderId: value } } });

export const adminApi = {
  cluster: () => answer(api.GET("/api/admin/cluster")),
  events: () => answer(api.GET("/api/admin/events")),
  deadLetters: () => answer(api.GET("/api/admin/dead-letters", { params: { query: { limit: 100 } } })),
  replay: (service: string, seq?: number) => answer(api.POST("/api/admin/dead-letters/replay", { body: seq === undefined ? { service } : { service, seq } })),

  orders: (query: OrderQuery) => answer(api.GET("/api/admin/orders", { params: { query } })),
  order: (value: string) => answer(api.GET("/api/orders/{id}", id(value))),
  ship: (value: string) => answer(api.POST("/api/admin/orders/{id}/ship", id(value))),
  cancel: (value: string) => answer(api.POST("/api/orders/{id}/cancel", id(value))),
  shipment: (value: string) => answer(api.GET("/api/admin/shipments/{orderId}", orderId(value))),
  advance: (value: string) => answer(api.POST("/api/admin/shipments/{orderId}/advance", orderId(value))),

  products: (page: number) => answer(api.GET("/api/products", { params: { query: { sort: "stock", page, pageSize: 20 } } })),
  createProduct: (fields: ProductFields) => answer(api.POST("/api/products", { body: fields })),
  updateProduct: (value: string, fields: ProductChanges) => answer(api.PATCH("/api/products/{id}", { ...id(value), body: fields })),
  archiveProduct: (value: string) => answer(api.DELETE("/api/products/{id}", id(value))),
  changeStock: (value: string, change: { delta: number } | { set: number }, reason: string) => answer(api.POST("/api/products/{id}/stock", { ...id(value), body: { ...change, reason } })),

  users: (page: number) => answer(api.GET("/api/users", { params: { query: { page, pageSize: 20 } } })),
  setDisabled: (value: string, disabled: boolean) => answer(disabled ? api.POST("/api/users/{id}/disable", id(value)) : api.POST("/api/users/{id}/enable", id(value))),

  faults: () => answer(faultsClient.GET("/api/admin/faults")),
  setFaults: (rules: FaultRule[]) => answer(faultsClient.PUT("/api/admin/faults", { body: { rules } })),
};
