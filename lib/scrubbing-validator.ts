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

export class ScrubbingValidator extends Validators.Fastest {
  override compile(schema: Record<string, unknown>): ReturnType<Validators.Fastest["compile"]> {
    const check = super.compile(schema) as unknown as Check;
    const scrubbed: Check = (value, opts) => {
      const res = check(value, opts);
      return res instanceof Promise ? res.then(withoutActual) : withoutActual(res);
    };
    scrubbed.async = check.async;
    return scrubbed as unknown as ReturnType<Validators.Fastest["compile"]>;
  }
}
