/**
 * Secrets that are not secret: the placeholders shipped in k8s/ and
 * docker-compose.yml, the development defaults of platform/config.ts and the
 * usual factory defaults. Production refuses them, so a deployment copied
 * from the examples without filling them in does not start.
 */
import { ConfigError } from "./config-error";

const KNOWN_DEFAULTS = new Set([
  "admin-password-dev", // ADMIN_PASSWORD's development default
  "...", // docker-compose.yml's example line
  "password",
  "passw0rd",
  "admin",
  "administrator",
  "root",
  "secret",
  "changeit",
  "changeme",
  "letmein",
  "test",
  "guest",
  "default",
  "example",
  "nats",
  "redis",
  "mongo",
  "shop",
  "123456",
  "12345678",
  "0".repeat(32),
  "0".repeat(64),
]);

/** Shapes of placeholders: `replace-me...` (k8s/), `change-me`, `<your secret>`, `${...}`, `xxx...`. */
const PLACEHOLDER_SHAPES = [/^replace[-_ ]?me/i, /change[-_ ]?me/i, /^<.*>$/, /^\$\{.*\}$/, /^x{3,}$/i, /^your[-_ ]/i, /^placeholder/i];

export function isPlaceholderSecret(value: string): boolean {
  const trimmed = value.trim();
  return trimmed === "" || KNOWN_DEFAULTS.has(trimmed.toLowerCase()) || PLACEHOLDER_SHAPES.some((shape) => shape.test(trimmed));
}

/** The password of a `scheme://user:password@host` URL, if it has one. */
export function passwordInUrl(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === "" ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** Throws ConfigError naming the first setting whose value is a placeholder or known default. */
export function refusePlaceholderSecrets(secrets: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(secrets)) {
    if (value !== undefined && isPlaceholderSecret(value)) {
      throw new ConfigError(`${name} is a placeholder or a well-known default; production needs a real secret (e.g. openssl rand -hex 32)`);
    }
  }
}
