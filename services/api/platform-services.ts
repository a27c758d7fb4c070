/**
 * The services this build contains: each lives in `<name>/<name>.service.ts`
 * (compiled to `.js`) under the services folder; a `<name>.service.js` at the
 * folder's top (a test fixture's stub) counts too. The gateway expects all of
 * them to have a node before it calls itself ready.
 */
import fs from "node:fs";
import path from "node:path";

const SERVICE_FILE = /^([a-z][a-z0-9-]*)\.service\.(?:ts|js)$/;

export function platformServiceNames(servicesDir: string): string[] {
  const names = fs.readdirSync(servicesDir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isFile()) return [SERVICE_FILE.exec(entry.name)?.[1]];
    if (!entry.isDirectory()) return [];
    const inFolder = (ext: string) => fs.existsSync(path.join(servicesDir, entry.name, `${entry.name}.service.${ext}`));
    return inFolder("ts") || inFolder("js") ? [entry.name] : [];
  });
  return [...new Set(names.filter((name): name is string => Boolean(name)))].sort();
}

/**
 * Operator tooling: shoppers are served without it, so the gateway's
 * readiness does not wait for it (the gateway itself is the one asking).
 */
const NOT_AWAITED = new Set(["api", "ops"]);

/** The services that must have a node before the gateway calls itself ready. */
export function awaitedServiceNames(servicesDir: string): string[] {
  return platformServiceNames(servicesDir).filter((name) => !NOT_AWAITED.has(name));
}
