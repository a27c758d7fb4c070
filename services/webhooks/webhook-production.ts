/**
 * Whether this node runs as production, for the webhooks service's URL
 * rules. Kept to one function on purpose: platform/ is getting a shared
 * production check (the security issue), which this one folds into.
 */
import type { PlatformConfig } from "../../platform/config";

export function webhooksInProduction(cfg: Pick<PlatformConfig, "nodeEnv">): boolean {
  return cfg.nodeEnv === "production";
}
