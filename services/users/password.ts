/**
 * Password hashing with node:crypto's scrypt. A stored hash carries its own
 * parameters (`scrypt$N$r$p$salt$hash`), so the cost can be raised later:
 * old hashes still verify with the parameters they were made with, and
 * `needsRehash` tells the login to upgrade them.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { config } from "../../platform/config";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's current recommendation for scrypt (Password Storage Cheat Sheet): 128 MiB and a few hundred ms per hash. */
export const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** What new hashes are made with: DEFAULT_PARAMS, unless PASSWORD_SCRYPT_N says otherwise (test suites go cheaper). */
export const CONFIGURED_PARAMS: ScryptParams = { ...DEFAULT_PARAMS, N: config.passwordScryptN };

const SALT_BYTES = 16;
const KEY_BYTES = 64;
const PREFIX = "scrypt";

// A stored hash is data: bounds keep a corrupt or planted one from costing gigabytes or minutes.
// Memory is 128 * N * r bytes: twice the default's 128 MiB leaves room to raise the cost once.
export const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_R = 32;
const MAX_P = 4;

function derive(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) would refuse raised parameters.
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  // NFKC: the same password typed on another keyboard (composed or decomposed accents) still matches.
  const input = password.normalize("NFKC");
  return new Promise((resolve, reject) => {
    scrypt(input, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function validParams(params: ScryptParams): boolean {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N > 1 && N <= 2 ** 30 && (N & (N - 1)) === 0;
  const shape = powerOfTwo && Number.isInteger(r) && r >= 1 && r <= MAX_R && Number.isInteger(p) && p >= 1 && p <= MAX_P;
  return shape && 128 * N * r <= MAX_MEMORY_BYTES;
}

export async function hashPassword(password: string, params: ScryptParams = CONFIGURED_PARAMS): Promise<string> {
  if (!validParams(params)) throw new RangeError("Invalid scrypt parameters");
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return [PREFIX, params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== PREFIX) return null;
  const params = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
  const salt = Buffer.from(parts[4], "base64url");
  const key = Buffer.from(parts[5], "base64url");
  if (!validParams(params) || salt.length === 0 || key.length < 16) return null;
  return { params, salt, key };
}

/** Whether `password` matches `stored`; a malformed `stored` never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  return timingSafeEqual(candidate, parsed.key);
}

/** True when `stored` was made with other parameters than `params` (or cannot be read). */
export function needsRehash(stored: string, params: ScryptParams = CONFIGURED_PARAMS): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.params.N !== params.N || parsed.params.r !== params.r || parsed.params.p !== params.p;
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password with the current parameters. A login for an
 * unknown email verifies against it, so it costs what a known email costs and
 * the response time does not tell whether an account exists.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString("base64url"));
  return dummy;
}
