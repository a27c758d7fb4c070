import { Errors } from "moleculer";
import { toPublicError } from "../../platform/public-error";

describe("what a client sees of an error", () => {
  it("keeps a client error as it is, minus node ids", () => {
    const err = new Errors.MoleculerClientError("sku already exists", 409, "CONFLICT", { field: "sku", nodeID: "host-1" });
    expect(toPublicError(err)).toEqual({ name: "MoleculerClientError", message: "sku already exists", code: 409, type: "CONFLICT", data: { field: "sku" } });
  });

  it("lists validation failures by field without echoing the rejected values", () => {
    const err = new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", [
      { type: "stringMin", field: "password", message: "too short", actual: "hunter2" },
    ]);
    const shown = toPublicError(err);
    expect(shown).toMatchObject({ code: 422, type: "VALIDATION_ERROR", data: [{ field: "password", type: "stringMin", message: "too short" }] });
    expect(JSON.stringify(shown)).not.toContain("hunter2");
  });

  it("turns a missing or unreachable service into 503 naming the service, not the node", () => {
    for (const err of [
      new Errors.ServiceNotFoundError({ action: "payments.authorize", nodeID: "pay-7" }),
      new Errors.ServiceNotAvailableError({ action: "payments.authorize", nodeID: "pay-7" }),
      new Errors.RequestRejectedError({ action: "payments.authorize", nodeID: "pay-7" }),
    ]) {
      const shown = toPublicError(err);
      expect(shown).toMatchObject({ code: 503, type: "SERVICE_UNAVAILABLE", data: { service: "payments" } });
      expect(JSON.stringify(shown)).not.toContain("pay-7");
    }
  });

  it("turns a timeout into 504 without details", () => {
    const shown = toPublicError(new Errors.RequestTimeoutError({ action: "orders.checkout", nodeID: "orders-2" }));
    expect(shown).toEqual({ name: "GatewayTimeoutError", message: "The request timed out", code: 504, type: "REQUEST_TIMEOUT" });
    // Moleculer's "time budget used up before the next call" (code 514) is a timeout too.
    expect(toPublicError(new Errors.RequestSkippedError({ action: "payments.capture", nodeID: "pay-1" }))).toMatchObject({ code: 504, type: "REQUEST_TIMEOUT" });
  });

  it("hides everything of an unexpected error", () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'x') at /app/dist/services/orders.service.js:12");
    expect(toPublicError(err)).toEqual({ name: "InternalServerError", message: "Internal server error", code: 500, type: "INTERNAL_ERROR" });
    expect(toPublicError(new Errors.MoleculerServerError("db password wrong", 500, "DB"))).toMatchObject({ code: 500, message: "Internal server error" });
    expect(toPublicError(undefined)).toMatchObject({ code: 500 });
  });

  it("reads body-parser's errors, raw or wrapped by moleculer-web", () => {
    expect(toPublicError({ status: 400, type: "entity.parse.failed", message: "Unexpected token" })).toMatchObject({ code: 400, type: "INVALID_JSON" });
    expect(toPublicError(new Errors.MoleculerError("too big", 413, "entity.too.large"))).toMatchObject({ code: 413, type: "PAYLOAD_TOO_LARGE" });
    expect(toPublicError({ status: 415, type: "charset.unsupported" })).toMatchObject({ code: 415, type: "INVALID_BODY" });
  });
});
