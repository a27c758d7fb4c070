/**
 * deploy/prometheus/alerts.yml: valid rules (`promtool check rules`), each
 * firing on the series of its unit test and staying quiet on the others
 * (`promtool test rules alerts.test.yml`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { findPromtool } from "../ops/ops-support";

const DIR = path.resolve(__dirname, "../../deploy/prometheus");
const promtool = findPromtool();
if (!promtool) console.warn("promtool not found: the alert rules are not checked (apt-get install prometheus)");

const run = (...args: string[]) => {
  const result = spawnSync(promtool as string, args, { cwd: DIR, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
};

interface RuleFile {
  groups: { rules: { alert?: string }[] }[];
}
interface TestFile {
  tests: { alert_rule_test?: { alertname: string }[] }[];
}

describe("the Prometheus alerting rules", () => {
  (promtool ? it : it.skip)("pass promtool check rules", () => {
    const result = run("check", "rules", "alerts.yml");
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
  });

  (promtool ? it : it.skip)("fire on their unit tests' series and on no others (promtool test rules)", () => {
    const result = run("test", "rules", "alerts.test.yml");
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
  });

  it("each have a unit test", () => {
    const rules = (parse(fs.readFileSync(path.join(DIR, "alerts.yml"), "utf8")) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean);
    const tested = new Set((parse(fs.readFileSync(path.join(DIR, "alerts.test.yml"), "utf8")) as TestFile).tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => a.alertname)));
    expect(rules.filter((name) => !tested.has(name as string))).toEqual([]);
  });
});
