/**
 * Moleculer's fastest-validator, minus the rejected values: fastest-validator
 * copies the offending value (`actual`) into every error of a pattern, enum
 * or format rule, and Moleculer logs rejected calls with their error, so a
 * mistyped card number or password would reach the logs. The field, the rule
 * and the message are enough for a client to fix its request.
 */
import { Validators } from "moleculer";

type Check = ((value: unknown, opts?: unknown) => true | object[] | Promise<true | object[]>) & { async?: boolean };

function withoutActual(res: true | object[]): true | object[] {
  if (Array.isArray(res)) for (const item of res) delete (item as Record<string, unknown>).actual;
  return res;
}

/** Deeper than any params the platform takes (an address is 2 levels, a product's images 2). */
export const MAX_PARAMS_DEPTH = 32;

/**
 * The top-level fields of `params` (those of `only`, when given) whose values
 * nest deeper than `max`. fastest-validator turns a rejected value into text
 * for its message (Array#join, recursively), so a value nested thousands of
 * levels deep overflows the stack inside the check: such params are refused
 * before it. Fields the schema does not declare are never checked against a
 * rule (they are ignored or removed), so they need not be refused.
 * Iterative, and each object is looked at once (a cycle is not "deep").
 */
export function tooDeepFields(params: unknown, max = MAX_PARAMS_DEPTH, only?: ReadonlySet<string>): string[] {
  if (params === null || typeof params !== "object") return [];
  const found: string[] = [];
  for (const [field, value] of Object.entries(params)) {
    if (only && !only.has(field)) continue;
    const seen = new Set<object>();
    const stack: [unknown, number][] = [[value, 1]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop() as [unknown, number];
      if (node === null || typeof node !== "object" || seen.has(node)) continue;
      if (depth > max) {
        found.push(field);
        break;
      }
      seen.add(node);
      for (const child of Object.values(node)) stack.push([child, depth + 1]);
    }
  }
  return found;
}

const tooDeep = (fields: string[]): object[] =>
  fields.map((field) => ({ type: "depth", field, message: `The '${field}' field is nested too deeply (at most ${MAX_PARAMS_DEPTH} levels).` }));

export class ScrubbingValidator extends Validators.Fastest {
  override compile(schema: Record<string, unknown>): ReturnType<Validators.Fastest["compile"]> {
    // Read before compiling: the compiler removes its `$$` keys.
    const declared = schema.$$root === true ? undefined : new Set(Object.keys(schema).filter((key) => !key.startsWith("$$")));
    const check = super.compile(schema) as unknown as Check;
    const scrubbed: Check = (value, opts) => {
      const deep = tooDeepFields(value, MAX_PARAMS_DEPTH, declared);
      if (deep.length > 0) return check.async ? Promise.resolve(tooDeep(deep)) : tooDeep(deep);
      const res = check(value, opts);
      return res instanceof Promise ? res.then(withoutActual) : withoutActual(res);
    };
    scrubbed.async = check.async;
    return scrubbed as unknown as ReturnType<Validators.Fastest["compile"]>;
  }
}
