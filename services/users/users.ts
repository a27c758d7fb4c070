/**
 * The user record of the users service and what of it leaves the service.
 * Answers are built from a whitelist of fields: a field added to the stored
 * document later (a secret, a reset token) stays inside unless listed here.
 */
import type { AuthUser, Role } from "../../types/moleculer";
import type { Address } from "../../contracts/address";
import { ConfigError, type PlatformConfig } from "../../platform/config";

export interface UserDoc {
  id: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  address?: Address;
  disabled?: boolean;
  /** ISO 8601 strings: the same on NeDB and Mongo, and as the client reads them. */
  createdAt: string;
  updatedAt: string;
}

export type PublicUser = Omit<UserDoc, "passwordHash">;

const PUBLIC_FIELDS = ["id", "email", "name", "role", "address", "disabled", "createdAt", "updatedAt"] as const satisfies readonly (keyof PublicUser)[];

/** The user as every answer shows it: never the password hash. */
export function publicUser(doc: Record<string, unknown>): PublicUser {
  const user: Record<string, unknown> = {};
  for (const field of PUBLIC_FIELDS) if (doc[field] !== undefined) user[field] = doc[field];
  return user as unknown as PublicUser;
}

export function authUser(doc: Record<string, unknown>): AuthUser {
  const { id, email, name, role } = publicUser(doc);
  return { id, email, name, role };
}

export const PASSWORD_MIN_LENGTH = 8;

/**
 * Who the bootstrapped admin is. Production refuses the development defaults
 * of platform/config.ts: they are public, in the source.
 */
export function adminCredentials(cfg: Pick<PlatformConfig, "production" | "adminFromEnv" | "adminEmail" | "adminPassword">): { email: string; password: string } {
  if (cfg.production && !cfg.adminFromEnv) {
    throw new ConfigError("ADMIN_EMAIL and ADMIN_PASSWORD are required when NODE_ENV=production");
  }
  const email = cfg.adminEmail.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ConfigError(`ADMIN_EMAIL is not an email address: "${cfg.adminEmail}"`);
  if (cfg.adminPassword.length < PASSWORD_MIN_LENGTH) {
    throw new ConfigError(`ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  }
  return { email, password: cfg.adminPassword };
}
