/**
 * A typed client of the Moleculer Shop REST API: openapi-fetch over the
 * types openapi-typescript generates from docs/openapi.json (`npm run client`
 * writes schema.d.ts; never edit it by hand). Every path, parameter, body
 * and answer is checked by the compiler, so a change in a response breaks
 * the code that reads it.
 *
 *   const shop = createShopClient({ baseUrl: "http://localhost:3000" });
 *   const { data, error, response } = await shop.GET("/api/products/{id}", { params: { path: { id } } });
 *
 * `data` is the success body, `error` the error body (docs/api.md, Errors);
 * exactly one of them is set. Nothing throws on an HTTP status.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

type Schemas = components["schemas"];
export type ApiError = Schemas["Error"];
export type FieldError = Schemas["FieldError"];
export type Address = Schemas["Address"];
export type User = Schemas["User"];
export type Session = Schemas["Session"];
export type Product = Schemas["Product"];
export type AdminProduct = Schemas["AdminProduct"];
export type ProductPage = Schemas["ProductPage"];
export type Category = Schemas["Category"];
export type Cart = Schemas["Cart"];
export type CartItem = Schemas["CartItem"];
export type Order = Schemas["Order"];
export type OrderItem = Schemas["OrderItem"];
export type OrderPage = Schemas["OrderPage"];
export type Tracking = Schemas["Tracking"];
export type Shipment = Schemas["Shipment"];
export type Notification = Schemas["Notification"];
export type NotificationPage = Schemas["NotificationPage"];
export type Readiness = Schemas["Readiness"];
/** The body of a checkout (POST /api/orders). */
export type CheckoutRequest = NonNullable<operations["orders.checkout"]["requestBody"]>["content"]["application/json"];

export type ShopClient = Client<paths>;

export interface ShopClientOptions {
  /** Where the gateway is, without /api: e.g. "http://localhost:3000", or "" for the page's own origin. */
  baseUrl: string;
  /** The Bearer token, or a function asked before every request (it may change after a login). */
  token?: string | (() => string | null | undefined);
  /** Another fetch (a test double, a polyfill); the global one otherwise. */
  fetch?: (request: Request) => Promise<Response>;
}

export function createShopClient(options: ShopClientOptions): ShopClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const { token } = options;
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const value = typeof token === "function" ? token() : token;
        if (value && !request.headers.has("authorization")) request.headers.set("authorization", `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}
