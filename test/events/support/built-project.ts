/**
 * The project built into a temp dir of its own, with the stand-in services
 * of test/events/fixtures among its services, for suites that run node
 * processes (test/support/cluster.ts takes it as `project`). Building here
 * keeps those suites off the shared dist/ and needs no `npm run build`
 * first; it takes a few seconds.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { BuiltProject } from "../../support/cluster";
import { makeTempDir } from "../../support/temp-dirs";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const FIXTURES = "test/events/fixtures";
const SOURCES = ["moleculer.config.ts", "services/**/*.ts", "mixins/**/*.ts", "contracts/**/*.ts", "platform/**/*.ts", "types/**/*.d.ts", "middlewares/**/*.ts", "scripts/**/*.ts", `${FIXTURES}/*.ts`];

let built: Promise<BuiltProject> | undefined;

/** Once per test file (jest gives each its own module registry). */
export function buildProject(): Promise<BuiltProject> {
  built ??= build();
  return built;
}

async function build(): Promise<BuiltProject> {
  const dir = makeTempDir("build");
  const tsconfig = path.join(dir, "tsconfig.json");
  fs.writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(ROOT, "tsconfig.build.json"),
      compilerOptions: { outDir: dir, rootDir: ROOT, sourceMap: false },
      include: SOURCES.map((glob) => path.join(ROOT, glob)),
    }),
  );
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  // Type errors are `npm run typecheck`'s business (and may be someone's work in progress): only missing output fails.
  const result = await promisify(execFile)(process.execPath, [tsc, "-p", tsconfig], { cwd: ROOT }).catch((err: { stdout?: string }) => err);
  const expected = ["moleculer.config.js", "services/notifications/notifications.service.js", `${FIXTURES}/order-desk.service.js`];
  const missing = expected.filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) throw new Error(`The build in ${dir} lacks ${missing.join(", ")}:\n${(result as { stdout?: string }).stdout ?? ""}`);

  // Node resolves packages from the build's location: it gets the project's.
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  // SERVICES names files in one folder: each fixture gets a stub there.
  for (const file of fs.readdirSync(path.join(dir, FIXTURES)).filter((f) => f.endsWith(".service.js"))) {
    fs.writeFileSync(path.join(dir, "services", file), `module.exports = require("../${FIXTURES}/${file}");\n`);
  }
  return { root: dir, configFile: "moleculer.config.js", serviceDir: "services" };
}
