/**
 * The typed client of the shop's REST API: paths, parameters and bodies come
 * from schema.d.ts, which openapi-typescript generates from the OpenAPI
 * document the gateway serves (docs/api.md, "Operations").
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema";

export type { paths, components, operations } from "./schema";

export interface ShopClientOptions {
  /** Where the gateway answers, e.g. "http://localhost:3000" ("" = the page's own origin). */
  baseUrl: string;
  /** A bearer token from POST /api/auth/login or /api/auth/register. */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

export type ShopClient = Client<paths>;

export function createShopClient({ baseUrl, token, fetch }: ShopClientOptions): ShopClient {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : undefined,
    fetch,
  });
}
