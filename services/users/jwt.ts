/**
 * The platform's access tokens: HS256 JWTs made and checked with `jose`.
 * Verification pins the algorithm, issuer and audience and requires `exp`
 * and `sub`, so a token with `alg: none`, another algorithm, a foreign
 * signature or no expiry is refused like an expired one.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { ConfigError, type PlatformConfig } from "../../platform/config";
import { unauthorized } from "../../platform/errors";

type Jose = typeof import("jose");

/**
 * jose 6 is an ES module. Node 24's require() loads it (the compiled CommonJS
 * build), but jest's module loader cannot, and TypeScript turns `import()`
 * into that same require; a require made from Node's own `module` builtin
 * works in both. (test/support/mongo.ts loads smartmongo the same way.)
 */
function loadJose(): Jose {
  const nodeRequire = process.getBuiltinModule("node:module").createRequire(__filename);
  return nodeRequire("jose") as Jose;
}

let jose: Jose | undefined;
const lib = (): Jose => (jose ??= loadJose());

export const JWT_ISSUER = "moleculer-shop";
export const JWT_AUDIENCE = "moleculer-shop-api";
const ALGORITHM = "HS256";

/** RFC 7518 3.2: an HS256 key must be at least as long as the hash (256 bits). */
export const MIN_SECRET_LENGTH = 32;

/** The HMAC key as jose takes it. */
export type JwtKey = Uint8Array;

/**
 * `ver` is the user's token version when it was issued: a password change or
 * "log out everywhere" raises the version, and every older token stops. `jti`
 * names this one token, so a logout can revoke just it.
 */
export function signToken(userId: string, key: JwtKey, ttlSec: number, version: number): Promise<string> {
  return new (lib().SignJWT)({ ver: version })
    .setJti(randomUUID())
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(userId)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSec}s`)
    .sign(key);
}

export interface TokenClaims {
  userId: string;
  tokenId: string;
  version: number;
  /** Epoch seconds. */
  expiresAt: number;
}

/** The claims of a valid token; anything else is a 401. */
export async function verifyToken(token: string, key: JwtKey): Promise<TokenClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await lib().jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      requiredClaims: ["exp", "sub", "jti", "ver"],
    }));
  } catch (err) {
    // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED...) only split "expired" off:
    // a client can act on that (log in again), and the details would only help a forger.
    const expired = (err as { code?: unknown }).code === "ERR_JWT_EXPIRED";
    throw expired ? unauthorized("Token expired", "TOKEN_EXPIRED") : unauthorized("Invalid token");
  }
  const { sub, jti, ver, exp } = payload;
  if (typeof sub !== "string" || sub === "" || typeof jti !== "string" || jti === "" || !Number.isInteger(ver) || typeof exp !== "number") throw unauthorized("Invalid token");
  return { userId: sub, tokenId: jti, version: ver as number, expiresAt: exp };
}

const SECRET_FILE = "jwt-secret";

/**
 * JWT_SECRET when set. Production refuses to run without it: a generated
 * secret would differ per node and break every session at each restart.
 * Elsewhere a secret is generated once and kept in `<dataDir>/jwt-secret`
 * (mode 0600), so a restart keeps sessions valid.
 */
export function loadJwtKey(cfg: Pick<PlatformConfig, "jwtSecret" | "production" | "dataDir">): JwtKey {
  if (cfg.jwtSecret !== undefined) {
    if (cfg.jwtSecret.length < MIN_SECRET_LENGTH) throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
    return new TextEncoder().encode(cfg.jwtSecret);
  }
  if (cfg.production) throw new ConfigError("JWT_SECRET is required when NODE_ENV=production (e.g. openssl rand -hex 32)");
  return new TextEncoder().encode(storedSecret(cfg.dataDir));
}

function storedSecret(dataDir: string): string {
  const file = path.join(dataDir, SECRET_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    // Written aside, then linked into place: link() never replaces a file, so
    // of several processes starting at once one wins and all read its secret,
    // never a half-written one.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    fs.writeFileSync(draft, randomBytes(32).toString("hex"), { mode: 0o600 });
    try {
      fs.linkSync(draft, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      fs.rmSync(draft, { force: true });
    }
  }
  const secret = fs.readFileSync(file, "utf8").trim();
  if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(`${file} holds a secret shorter than ${MIN_SECRET_LENGTH} characters; remove it to generate a new one`);
  return secret;
}
