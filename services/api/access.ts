/**
 * The gateway's access rules, kept apart from HTTP so they are tested alone:
 * an action declares `auth` ("required" when absent) and `roles`.
 */
import type { Errors } from "moleculer";
import type { AuthUser } from "../../types/moleculer";
import { forbidden, unauthorized } from "../../platform/errors";

/** The token of an `Authorization: Bearer <token>` header; null when there is no header. */
export function parseBearer(header: string | undefined): string | null {
  if (header == null || header === "") return null;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header.trim());
  if (!match) throw unauthorized("Authorization header must be 'Bearer <token>'");
  return match[1];
}

export interface ActionAccess {
  auth?: unknown;
  roles?: unknown;
}

/** Why the caller may not call the action, or null when it may. */
export function authDecision(action: ActionAccess, user: AuthUser | undefined): Errors.MoleculerClientError | null {
  const auth = action.auth === undefined ? "required" : action.auth;
  if (auth === false || auth === "optional") return null;
  if (!user) return unauthorized("Authentication required", "NO_TOKEN");
  const roles = Array.isArray(action.roles) ? (action.roles as string[]) : [];
  if (roles.length > 0 && !roles.includes(user.role)) {
    return forbidden();
  }
  return null;
}
