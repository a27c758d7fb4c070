/**
 * Rejected values never reach the logs, even through a logger that
 * serialises every argument in full (as a log shipper would).
 */
import { Loggers, ServiceBroker } from "moleculer";
import { ScrubbingValidator } from "../../platform/broker/scrubbing-validator";

class DeepCapture extends Loggers.Base<Record<string, unknown>> {
  static lines: string[] = [];
  override getLogHandler() {
    return (_level: string, args: unknown[]) => {
      DeepCapture.lines.push(JSON.stringify(args, (_k, v) => (v instanceof Error ? { ...v, message: v.message } : v)));
    };
  }
}

// A pattern rule echoes the whole rejected value (a length rule only its length).
async function payWith(cardNumber: string, validator?: ScrubbingValidator): Promise<string[]> {
  DeepCapture.lines = [];
  const broker = new ServiceBroker({ logger: new DeepCapture({ level: "debug" }), validator: validator ?? true });
  broker.createService({ name: "payments", actions: { authorize: { params: { cardNumber: { type: "string", pattern: /^\d{16}$/ } }, handler: () => "ok" } } });
  await broker.start();
  const err = await broker.call("payments.authorize", { cardNumber }).catch((e: Error) => e);
  await broker.stop();
  expect(err).toMatchObject({ code: 422, data: [expect.objectContaining({ field: "cardNumber" })] });
  return DeepCapture.lines;
}

describe("logs of rejected calls", () => {
  it("would carry the rejected value with the stock validator (the hazard is real)", async () => {
    expect((await payWith("4242 4242 4242 424")).some((line) => line.includes("4242 4242 4242 424"))).toBe(true);
  });

  it("never carry the rejected value with the platform's validator", async () => {
    const lines = await payWith("4242 4242 4242 424", new ScrubbingValidator());
    expect(lines.some((line) => line.includes("rejected"))).toBe(true);
    expect(lines.filter((line) => line.includes("4242 4242 4242 424"))).toEqual([]);
  });
});
