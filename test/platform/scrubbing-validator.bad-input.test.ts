/**
 * Params nested thousands of levels deep (found by the bad-input fuzzer,
 * chaos scenario 7): fastest-validator turns a rejected value into text for
 * its message with Array#join, recursively, and overflowed the stack inside
 * the check, a 500 on PATCH /products/:id. The platform's validator refuses
 * such params first, naming the field.
 */
import { ServiceBroker, Validators } from "moleculer";
import { MAX_PARAMS_DEPTH, ScrubbingValidator, tooDeepFields } from "../../platform/broker/scrubbing-validator";

const nested = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
const nestedObject = (depth: number): unknown => JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);

describe("params nested too deeply", () => {
  it("would overflow the stack inside the stock validator's check (the hazard is real)", () => {
    const check = new Validators.Fastest().compile({ weightGrams: { type: "number", integer: true } }) as unknown as (v: unknown) => unknown;
    expect(() => check({ weightGrams: nested(5000) })).toThrow(RangeError);
  });

  it("are the top-level fields whose values go deeper than the limit", () => {
    expect(tooDeepFields({ a: 1, b: [1, [2]], c: { d: { e: "x" } } })).toEqual([]);
    expect(tooDeepFields({ ok: nested(MAX_PARAMS_DEPTH), deep: nested(MAX_PARAMS_DEPTH + 1), obj: nestedObject(MAX_PARAMS_DEPTH + 1) })).toEqual(["deep", "obj"]);
    expect(tooDeepFields({ declared: nested(40), other: nested(40) }, MAX_PARAMS_DEPTH, new Set(["declared"]))).toEqual(["declared"]);
    expect(tooDeepFields(null)).toEqual([]);
    expect(tooDeepFields("text")).toEqual([]);
  });

  it("do not include a cycle (an object is looked at once), so an internal caller's shared objects pass", () => {
    const loop: Record<string, unknown> = { name: "x" };
    loop.self = loop;
    const shared = { a: 1 };
    expect(tooDeepFields({ loop, pair: [shared, shared] })).toEqual([]);
  });

  it("are refused by the platform's validator with a 422 naming the field, for sync and async checks", async () => {
    const broker = new ServiceBroker({ logger: false, validator: new ScrubbingValidator() });
    broker.createService({
      name: "catalog",
      actions: {
        update: { params: { weightGrams: { type: "number", integer: true }, name: { type: "string", optional: true } }, handler: () => "ok" },
        later: { params: { $$async: true, weightGrams: { type: "number" } }, handler: () => "ok" },
      },
    });
    await broker.start();
    try {
      for (const action of ["catalog.update", "catalog.later"]) {
        const err = await broker.call(action, { weightGrams: nested(5000) }).catch((e: Error) => e);
        expect(err).toMatchObject({ code: 422, type: "VALIDATION_ERROR", data: [{ field: "weightGrams", type: "depth" }] });
      }
      // A field the schema does not declare is never checked against a rule: it need not be refused.
      await expect(broker.call("catalog.update", { weightGrams: 250, extra: nested(5000) })).resolves.toBe("ok");
      // Ordinary bad values still get the validator's own errors.
      const err = await broker.call("catalog.update", { weightGrams: [1, 2] }).catch((e: Error) => e);
      expect(err).toMatchObject({ code: 422, data: [{ field: "weightGrams", type: "number" }] });
      await expect(broker.call("catalog.update", { weightGrams: 250 })).resolves.toBe("ok");
    } finally {
      await broker.stop();
    }
  });
});
