/**
 * The services this build contains, named after their files
 * (`<name>.service.ts`, compiled to `.js`). The gateway expects all of them
 * to have a node before it calls itself ready.
 */
import fs from "node:fs";

const SERVICE_FILE = /^([a-z][a-z0-9-]*)\.service\.(?:ts|js)$/;

export function platformServiceNames(servicesDir: string): string[] {
  const names = fs
    .readdirSync(servicesDir)
    .map((file) => SERVICE_FILE.exec(file)?.[1])
    .filter((name): name is string => Boolean(name));
  return [...new Set(names)].sort();
}
