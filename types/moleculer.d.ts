/**
 * What this platform adds to Moleculer's schemas: every action says who may
 * call it from REST, and services built on moleculer-db carry its keys.
 * moleculer 0.15 dropped the index signatures, so custom keys are declared here.
 */
import "moleculer";
import type { Context, ServiceSettingSchema } from "moleculer";
import type { ActionDoc } from "../contracts/rest/answers";

export type Role = "customer" | "admin";

/** `required`: a valid token; `optional`: a token is used when sent; `false`: public. */
export type AuthRequirement = "required" | "optional" | false;

/** The caller as resolved from a Bearer token by users.resolveToken. */
export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  /** The token's id (`jti`) and expiry (epoch seconds): what a logout revokes. */
  tokenId?: string;
  tokenExpiresAt?: number;
}

export interface ShopMeta {
  user?: AuthUser;
  /** Set by the gateway from the request's headers. */
  idempotencyKey?: string;
  /** The client's address as TRUST_PROXY lets the gateway know it (platform/client-address.ts). */
  clientAddress?: string;
  $statusCode?: number;
  $statusMessage?: string;
  $responseType?: string;
  $responseHeaders?: Record<string, string>;
  $location?: string;
}

/** Service settings: moleculer's own keys plus whatever a mixin (moleculer-web, moleculer-db) reads. */
export type ShopSettings = ServiceSettingSchema & Record<string, any>;

export type ShopContext<P = Record<string, unknown>> = Context<P, ShopMeta>;

declare module "moleculer" {
  interface ActionSchema {
    /** Who may call this action through the gateway; absent means "required". */
    auth?: AuthRequirement;
    /** Roles allowed through the gateway; absent means any authenticated role. */
    roles?: Role[];
    /** What the action answers over REST, for /api/openapi.json (contracts/rest/answers.ts). */
    openapi?: ActionDoc;
    /** Moleculer honours a per-action timeout (ms); its 0.15 typings omit it. */
    timeout?: number;
  }

  interface ServiceSchema {
    // moleculer-db's service keys
    adapter?: unknown;
    collection?: string;
    model?: unknown;
    entityValidator?: unknown;
    /** Called once the mixins are merged, before the service is created. */
    merged?: (schema: ServiceSchema) => void;
  }
}
