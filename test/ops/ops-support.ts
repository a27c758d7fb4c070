/**
 * What the operations suites share: which build their node processes run,
 * promtool when it is installed, and a reader for the Prometheus text format.
 */
import { assertFreshBuild as assertBuildIsFresh } from "../support/fresh-build";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Context } from "moleculer";
import { BUILT_PROJECT, startCluster, type BuiltProject, type Cluster, type ClusterNodeSpec } from "../support/cluster";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";
import { builtGroups } from "../../scripts/cluster-processes";
import { makeTempDir } from "../support/temp-dirs";


/** The build the suites' node processes run (TEST_BUILD_DIR or dist/, see BUILT_PROJECT). */
export function testedBuild(): BuiltProject {
  return BUILT_PROJECT;
}

/** One node per service group of `npm run cluster` (gateway, accounts, catalog, ...), as far as the build has them. */
export function platformNodes(project: BuiltProject = testedBuild()): ClusterNodeSpec[] {
  const build = { cwd: project.root, configFile: path.join(project.root, project.configFile), serviceDir: path.join(project.root, project.serviceDir) };
  return builtGroups(build).map((group) => ({ name: group.name, services: group.services }));
}

export function assertFreshBuild(project: BuiltProject = testedBuild()): void {
  assertBuildIsFresh(project);
}

/**
 * `project` with one more broker middleware (a module of the build and the
 * name it exports), through a wrapper config in a temp dir: for proving a
 * change to moleculer.config.ts before it is made. A middleware the config
 * already has (same name) is not added twice.
 */
export function withMiddleware(project: BuiltProject, moduleFile: string, exportName: string): BuiltProject {
  const dir = makeTempDir("config");
  const wrapper = path.join(dir, "moleculer.config.js");
  const base = JSON.stringify(path.join(project.root, project.configFile));
  const module = JSON.stringify(path.join(project.root, path.dirname(project.configFile), moduleFile));
  fs.writeFileSync(
    wrapper,
    [
      `const loaded = require(${base});`,
      "const options = loaded.default ?? loaded;",
      `const extra = require(${module})[${JSON.stringify(exportName)}];`,
      "const middlewares = options.middlewares ?? [];",
      "const present = middlewares.some((mw) => mw && mw.name === extra.name);",
      "module.exports = { ...options, middlewares: present ? middlewares : [...middlewares, extra] };",
      "",
    ].join("\n"),
  );
  return { ...project, configFile: path.relative(project.root, wrapper) };
}

/** `promtool` on PATH (Debian package `prometheus`), or undefined. */
export function findPromtool(): string | undefined {
  const probe = spawnSync("promtool", ["--version"], { stdio: "ignore" });
  return probe.error || probe.status !== 0 ? undefined : "promtool";
}

/** `promtool check metrics` on `exposition`: its exit code and what it printed (each problem a line). */
export function promtoolCheck(promtool: string, exposition: string): { status: number | null; output: string } {
  const run = spawnSync(promtool, ["check", "metrics"], { input: exposition, encoding: "utf8", timeout: 30_000 });
  return { status: run.status, output: `${run.stdout ?? ""}${run.stderr ?? ""}`.trim() };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

/**
 * The platform (one node per service group, over a private NATS) with
 * TRACING_EXPORTER=Event, and a service of the test's broker, `collector`,
 * that every node knows of and that keeps the spans they emit.
 */
export async function startTracedPlatform(collector: string, spans: unknown[]): Promise<{ nats: NatsServer; cluster: Cluster }> {
  assertFreshBuild();
  const nats = await startNatsServer();
  const cluster = await startCluster({
    project: testedBuild(),
    transporter: nats.url,
    env: { TRACING_EXPORTER: "Event", LOG_LEVEL: "warn" },
    readyPath: "/api/health/ready",
    nodes: platformNodes(),
  });
  cluster.broker.createService({
    name: collector,
    events: {
      "$tracing.spans"(ctx: Context<unknown[]>) {
        spans.push(...ctx.params);
      },
    },
  });
  // The nodes emit spans to a listener they know of: wait until each sees the collector.
  await waitUntil(
    async () => {
      const views = await Promise.all(cluster.nodes.map((node) => cluster.broker.call<{ name: string }[], object>("$node.services", { onlyAvailable: true }, { nodeID: node.nodeID })));
      return views.every((services) => services.some((service) => service.name === collector));
    },
    { description: `every node to see ${collector}`, timeoutMs: 15_000 },
  );
  return { nats, cluster };
}
