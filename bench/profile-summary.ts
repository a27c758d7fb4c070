/**
 * Where a node's CPU went: the self time of a V8 .cpuprofile (from
 * `--cpu-prof`, see BENCH_PROFILE in bench/lib/processes.ts) summed per
 * function and per package, largest first.
 *
 *   tsx bench/profile-summary.ts bench/results/profiles/gateway-*.cpuprofile [--top 25] [--inclusive 'services/|lib/']
 *
 * "(idle)" is time the event loop waited; "(program)" is V8/native work
 * outside JavaScript (parsing, socket syscalls, ...); "(garbage collector)" GC.
 * Percentages of busy time leave idle out.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<pkg> (scoped too), node:internal, or the project's own file. */
function packageOf(url: string): string {
  if (!url) return "(native)";
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) {
    const rest = url.slice(i + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const file = url.replace(/^file:\/\//, "");
  const parts = file.split(path.sep);
  return `(own) ${parts.slice(-2).join("/")}`;
}

export function summarize(profile: Profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    total += us;
    if (functionName === "(idle)") idle += us;
    const special = functionName.startsWith("(") && !url;
    const key = special ? functionName : `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(services|lib|mixins|middlewares)\//, "$1/")}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const pkg = special ? functionName : packageOf(url);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(services|lib|mixins|middlewares)\//, "$1/")}:${lineNumber + 1}`;
  };
  const inclusive = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      if (!node.callFrame.url) continue;
      seen.add(keyOf(node));
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { total, idle, functions: sorted(fns), packages: sorted(pkgs), inclusive: sorted(inclusive) };
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" }, inclusive: { type: "string" } } });
  const top = Number(values.top);
  for (const file of positionals) {
    const { total, idle, functions, packages, inclusive } = summarize(JSON.parse(fs.readFileSync(file, "utf8")) as Profile);
    const busy = total - idle;
    const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
    console.log(`\n== ${path.basename(file)}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}%)`);
    console.log("-- self time by package (of busy time)");
    for (const [name, us] of packages.filter(([name]) => name !== "(idle)").slice(0, 15)) console.log(`${pct(us)}  ${name}`);
    console.log(`-- top ${top} functions by self time (of busy time)`);
    for (const [name, us] of functions.filter(([name]) => name !== "(idle)").slice(0, top)) console.log(`${pct(us)}  ${name}`);
    if (values.inclusive !== undefined) {
      // --inclusive PATTERN: total time (with callees) of the functions whose name or file matches.
      const match = new RegExp(values.inclusive || ".");
      console.log(`-- top ${top} functions matching /${match.source}/ by total time, callees included (of busy time)`);
      for (const [name, us] of inclusive.filter(([name]) => match.test(name)).slice(0, top)) console.log(`${pct(us)}  ${name}`);
    }
  }
}

if (require.main === module) main();
