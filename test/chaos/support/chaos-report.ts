/**
 * What each chaos scenario saw, for `npm run chaos`'s summary table. A suite
 * calls reportScenario() once its assertions have run; the line goes to the
 * file named by CHAOS_REPORT (set by scripts/chaos.ts) and nowhere otherwise,
 * so `npm test` runs the same suites without a report.
 *
 * Timed pass criteria of the issues (a p99 bound, a recovery time) are
 * `promises`: measured in every run, asserted in none, because `npm test`
 * shares a loaded 2-core runner where durations stretch (no timed assertions
 * in tests). `npm run chaos` is the run that judges them: its table says
 * which held, and it exits non-zero when one did not.
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
  promises?: TimedPromise[];
}

/** A timed pass criterion: what was promised ("p99 admitted < 2000 ms"), what was measured, whether it held. */
export interface TimedPromise {
  promise: string;
  measured: string;
  held: boolean;
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
