/**
 * `npm run chaos`: the chaos suite (test/chaos) alone, then a summary table of
 * what each scenario saw: requests, failures, p99 under the fault and the data
 * checks that held. Each suite appends its line to the CHAOS_REPORT file
 * (test/chaos/support/chaos-report.ts); the table is also written to
 * bench/results/chaos-<time>.md. The exit code is jest's, or 1 when a
 * scenario's timed promise (a p99 bound, a recovery time) did not hold: the
 * suites measure those without asserting them (npm test runs them on a
 * shared, loaded runner), and this run is the one that judges them.
 *
 *   npm run chaos [-- <jest args, e.g. -t "oversell">]
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readReports, type ScenarioReport } from "../test/chaos/support/chaos-report";

const root = path.resolve(__dirname, "..");
const reportFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "chaos-")), "report.jsonl");

const jest = spawnSync(process.execPath, [path.join(root, "node_modules/jest/bin/jest.js"), "test/chaos", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CHAOS_REPORT: reportFile },
});

const reports = readReports(reportFile).sort((a, b) => a.scenario.localeCompare(b.scenario, "en", { numeric: true }));
const table = renderTable(reports);
console.log(`\n${table}`);
const resultsDir = path.join(root, "bench/results");
fs.mkdirSync(resultsDir, { recursive: true });
const out = path.join(resultsDir, `chaos-${new Date().toISOString().replace(/[:.]/g, "-")}.md`);
fs.writeFileSync(out, `# Chaos suite, ${new Date().toISOString()}\n\n${table}\n`);
console.log(`written to ${path.relative(root, out)}`);
const broken = reports.flatMap((r) => (r.promises ?? []).filter((p) => !p.held).map((p) => `${r.scenario}: ${p.promise}, measured ${p.measured}`));
for (const line of broken) console.error(`Promise not held: ${line}`);
process.exit(jest.status === 0 && broken.length > 0 ? 1 : (jest.status ?? 1));

function renderTable(rows: ScenarioReport[]): string {
  if (rows.length === 0) return "No scenario reported (did the suites run?).";
  const header = ["scenario", "requests", "failures", "p99 ms", "timed promises", "data checks"];
  const promises = (r: ScenarioReport) =>
    (r.promises ?? []).map((p) => `${p.promise}: ${p.measured}, ${p.held ? "held" : "NOT HELD"}`).join("; ") || "-";
  const lines = rows.map((r) => [r.scenario, String(r.requests), String(r.failures), r.p99Ms === undefined ? "-" : String(r.p99Ms), promises(r), r.dataChecks]);
  const escape = (cell: string) => cell.replace(/\|/g, "\\|");
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...lines.map((l) => `| ${l.map(escape).join(" | ")} |`)].join("\n");
}
