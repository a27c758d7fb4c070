/**
 * Webhook endpoints: where to send which events, signed with which secret.
 * The secret is stored (the shop signs with it) and shown once, when the
 * endpoint is created or its secret rotated; every other view leaves it out.
 * A rotation keeps the previous secret signing until `previousSecretUntil`,
 * so receivers can switch without losing a message.
 */
import type { Doc, IndexSpec } from "../../platform/db/db-adapter";

export interface EndpointOwner {
  userId: string;
  email?: string;
  name?: string;
}

export interface EndpointDoc {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  /** Why it was disabled (by an admin, or after failing for WEBHOOKS_DISABLE_AFTER). */
  disabledReason?: string;
  disabledAt?: string;
  secret: string;
  previousSecret?: string;
  /** ms since the epoch */
  previousSecretUntil?: number;
  /** ms since the epoch of the first failed attempt since the last success; absent while it answers. */
  failingSince?: number;
  /** The admin who created it: told when it gets disabled. */
  createdBy?: EndpointOwner;
  createdAt: string;
  updatedAt: string;
}

/** What admins see of an endpoint: never its secrets. */
export type PublicEndpoint = Pick<EndpointDoc, "id" | "url" | "events" | "description" | "enabled" | "disabledReason" | "disabledAt" | "createdAt" | "updatedAt"> & {
  /** Until when the secret before the last rotation still signs (ISO 8601). */
  previousSecretValidUntil?: string;
  /** Since when every attempt failed (ISO 8601). */
  failingSince?: string;
};

export const ENDPOINT_INDEXES: IndexSpec[] = [{ fields: ["events"] }];

export function publicEndpoint(doc: EndpointDoc, now = Date.now()): PublicEndpoint {
  return {
    id: String(doc.id),
    url: doc.url,
    events: [...doc.events],
    description: doc.description,
    enabled: doc.enabled,
    ...(doc.disabledReason ? { disabledReason: doc.disabledReason, disabledAt: doc.disabledAt } : {}),
    ...(doc.previousSecret && (doc.previousSecretUntil ?? 0) > now ? { previousSecretValidUntil: new Date(doc.previousSecretUntil as number).toISOString() } : {}),
    ...(doc.failingSince ? { failingSince: new Date(doc.failingSince).toISOString() } : {}),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The secrets that sign a message now: the current one, and the previous one during its overlap. */
export function signingSecrets(doc: Pick<EndpointDoc, "secret" | "previousSecret" | "previousSecretUntil">, now = Date.now()): string[] {
  return doc.previousSecret && (doc.previousSecretUntil ?? 0) > now ? [doc.secret, doc.previousSecret] : [doc.secret];
}

/** The update of a rotation: `secret` signs from now on, the current one until `now + overlapMs`. */
export function rotation(doc: Pick<EndpointDoc, "secret">, secret: string, now: number, overlapMs: number): Doc {
  return { $set: { secret, previousSecret: doc.secret, previousSecretUntil: now + overlapMs, updatedAt: new Date(now).toISOString() } };
}
