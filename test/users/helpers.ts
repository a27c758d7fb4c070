/**
 * What the users suites share: a platform with the users service behind the
 * gateway, a registration shortcut, and JWTs built by hand (node:crypto, not
 * jose) so the tests do not trust the library they check.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import UsersService from "../../services/users/users.service";
import { config } from "../../platform/config";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, type ApiClient } from "../support/http";
import { JWT_AUDIENCE, JWT_ISSUER, type JwtKey } from "../../services/users/jwt";
import type { PublicUser } from "../../services/users/users";
import type { DbMethods } from "../../mixins/db.mixin";

export interface UsersPlatform extends LocalPlatform {
  http: ApiClient;
  /** The users service instance (its adapter, methods and JWT key). */
  users: DbMethods & { jwtKey: JwtKey; bootstrapAdmin(): Promise<void> };
}

export async function startUsersPlatform(gatewaySettings?: Record<string, unknown>): Promise<UsersPlatform> {
  const platform = await startLocalPlatform({ services: [UsersService], gateway: true, gatewaySettings: { expectedServices: ["users"], ...gatewaySettings } });
  return { ...platform, http: api(`${platform.baseUrl}/api`), users: usersService(platform.broker) };
}

export function usersService(broker: ServiceBroker): UsersPlatform["users"] {
  return broker.getLocalService("users") as unknown as UsersPlatform["users"];
}

export interface Session {
  user: PublicUser;
  token: string;
  password: string;
}

/** A fresh email for each call, so tests of one suite never collide. */
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}@example.com`;
}

export async function registerUser(http: ApiClient, overrides: { email?: string; password?: string; name?: string } = {}, headers?: Record<string, string>): Promise<Session> {
  const password = overrides.password ?? `pw-${randomBytes(6).toString("hex")}`;
  const res = await http.post<{ user: PublicUser; token: string }>("/auth/register", {
    email: overrides.email ?? uniqueEmail(),
    password,
    name: overrides.name ?? "Test User",
  }, { headers });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.text}`);
  return { ...res.body, password };
}

/** The bootstrapped admin of this run's configuration (the development defaults unless ADMIN_* are set). */
export const ADMIN = { email: config.adminEmail.trim().toLowerCase(), password: config.adminPassword };

export async function loginAdmin(http: ApiClient): Promise<string> {
  const res = await http.post<{ token: string }>("/auth/login", ADMIN);
  if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${res.text}`);
  return res.body.token;
}

const b64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** Claims of a token the platform would accept, for `userId`, unless overridden. */
export function claims(userId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: userId, iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 600, jti: randomBytes(8).toString("hex"), ver: 0, ...overrides };
}

/** A compact JWS signed with HMAC (`alg` HS256/HS384/HS512), or unsigned for `alg: none`. */
export function handMadeToken(header: Record<string, unknown>, payload: Record<string, unknown>, key?: JwtKey): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const alg = String(header.alg);
  if (alg === "none" || !key) return `${input}.`;
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg];
  if (!hash) throw new Error(`handMadeToken cannot sign ${alg}`);
  return `${input}.${createHmac(hash, key).update(input).digest("base64url")}`;
}

/** `token` with its payload replaced and its signature kept. */
export function withPayload(token: string, payload: Record<string, unknown>): string {
  const [header, , signature] = token.split(".");
  return `${header}.${b64url(payload)}.${signature}`;
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}
