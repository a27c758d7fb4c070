/**
 * Suites that run processes of the build must not test old code: they refuse
 * a build older than any source it is made from.
 */
import fs from "node:fs";
import path from "node:path";
import { BUILT_PROJECT, type BuiltProject } from "./cluster";

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE_DIRS = ["services", "contracts", "platform", "mixins", "middlewares", "scripts"];

export function assertFreshBuild(project: BuiltProject = BUILT_PROJECT): void {
  const built = path.join(project.root, project.configFile);
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` before this suite.`);
  const builtAt = fs.statSync(built).mtimeMs;
  const sources = [
    "moleculer.config.ts",
    ...SOURCE_DIRS.flatMap((dir) =>
      (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f)),
    ),
  ];
  const newer = sources.filter((file) => fs.statSync(path.join(ROOT, file)).mtimeMs > builtAt);
  if (newer.length > 0) throw new Error(`${built} is older than ${newer.join(", ")}: build again before this suite.`);
}
