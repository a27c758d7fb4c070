/**
 * What each chaos scenario saw, for `npm run chaos`'s summary table. A suite
 * calls reportScenario() once its assertions have run; the line goes to the
 * file named by CHAOS_REPORT (set by scripts/chaos.ts) and nowhere otherwise,
 * so `npm test` runs the same suites without a report.
 */
import fs from "node:fs";

export interface ScenarioReport {
  /** "1 products node killed", ... : the numbering first. */
  scenario: string;
  requests: number;
  failures: number;
  /** p99 latency of the requests under fault, ms. */
  p99Ms?: number;
  /** The data checks that held, in a few words ("stock 0, 50 captured, no reservation"). */
  dataChecks: string;
}

export function reportScenario(report: ScenarioReport): void {
  const file = process.env.CHAOS_REPORT;
  if (!file) return;
  fs.appendFileSync(file, `${JSON.stringify(report)}\n`);
}

export function readReports(file: string): ScenarioReport[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as ScenarioReport);
}
