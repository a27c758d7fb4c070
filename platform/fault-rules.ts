/**
 * Fault injection rules: added latency and injected errors for a named action
 * ("payments.authorize") or a whole service ("payments"). Used by the chaos
 * suite and by anyone trying failures by hand; off unless FAULT_INJECTION is set.
 */
export interface FaultRule {
  /** An action ("payments.authorize") or a service ("payments"). */
  target: string;
  /** Added before the action runs, in ms. */
  latencyMs?: number;
  /** Share of calls that fail, 0..1. */
  errorRate?: number;
  /** Status of the injected failure: 500, 503 or 504. */
  errorCode?: 500 | 503 | 504;
}

const TARGET = /^[a-z][A-Za-z0-9-]*(\.[A-Za-z0-9]+)?$/;

/** The rules a JSON value describes, or the reason it describes none. */
export function parseFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw new Error("fault rules must be an array");
  return value.map((raw, i) => {
    const rule = raw as Record<string, unknown>;
    const where = `rule ${i}`;
    if (typeof rule?.target !== "string" || !TARGET.test(rule.target)) throw new Error(`${where}: target must name an action or a service`);
    const out: FaultRule = { target: rule.target };
    if (rule.latencyMs !== undefined) {
      if (!Number.isInteger(rule.latencyMs) || (rule.latencyMs as number) < 0 || (rule.latencyMs as number) > 120_000) throw new Error(`${where}: latencyMs must be 0..120000`);
      out.latencyMs = rule.latencyMs as number;
    }
    if (rule.errorRate !== undefined) {
      if (typeof rule.errorRate !== "number" || rule.errorRate < 0 || rule.errorRate > 1) throw new Error(`${where}: errorRate must be 0..1`);
      out.errorRate = rule.errorRate;
    }
    if (rule.errorCode !== undefined) {
      if (![500, 503, 504].includes(rule.errorCode as number)) throw new Error(`${where}: errorCode must be 500, 503 or 504`);
      out.errorCode = rule.errorCode as 500 | 503 | 504;
    }
    return out;
  });
}

/** The rule for an action: its own, else its service's. */
export function ruleFor(rules: FaultRule[], actionName: string): FaultRule | undefined {
  return rules.find((r) => r.target === actionName) ?? rules.find((r) => r.target === actionName.split(".")[0]);
}

/** Whether this call fails, given a random draw in [0, 1). */
export function shouldFail(rule: FaultRule, draw: number): boolean {
  return (rule.errorRate ?? 0) > draw;
}
