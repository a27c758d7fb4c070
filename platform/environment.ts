/**
 * Which kind of deployment this is (NODE_ENV). Only these three exist: a
 * typo such as "prod" or "Production" must not quietly get development
 * behaviour (public default admin password, generated JWT secret, fault
 * injection allowed), so anything else is refused at start.
 */
import { ConfigError } from "./config-error";

export const NODE_ENVS = ["development", "test", "production"] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** NODE_ENV, `development` when unset; throws ConfigError for any other value. */
export function nodeEnvOf(env: Record<string, string | undefined>): NodeEnv {
  const raw = env.NODE_ENV;
  if (raw === undefined || raw === "") return "development";
  if (!(NODE_ENVS as readonly string[]).includes(raw)) throw new ConfigError(`NODE_ENV must be one of ${NODE_ENVS.join(", ")} (exactly), got "${raw}"`);
  return raw as NodeEnv;
}

/** Production behaviour: secrets required, defaults refused, fault injection off. */
export function isProduction(env: Record<string, string | undefined>): boolean {
  return nodeEnvOf(env) === "production";
}
