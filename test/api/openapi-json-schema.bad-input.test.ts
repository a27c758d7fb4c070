/**
 * A field the validator forbids (found while the bad-input fuzzer, chaos
 * scenario 7, built its requests from the OpenAPI document): PATCH
 * /products/:id's `stock` and `reserved` were documented as required, so a
 * client following the document got a 422 for sending them.
 */
import { objectSchema, toJsonSchema } from "../../services/api/openapi/json-schema";
import { UPDATE_PARAMS } from "../../services/products/product-model";

describe("a forbidden field in the document", () => {
  it("is never required and accepts no value", () => {
    const schema = objectSchema(UPDATE_PARAMS as never, UPDATE_PARAMS.$$strict) as { required?: string[]; properties: Record<string, Record<string, unknown>> };
    expect(schema.required ?? []).not.toContain("stock");
    expect(schema.required ?? []).not.toContain("reserved");
    expect(schema.properties.stock).toMatchObject({ not: {}, description: expect.stringContaining("POST /products/:id/stock") });
  });

  it("says so for a bare forbidden rule too", () => {
    expect(toJsonSchema({ type: "forbidden" })).toEqual({ not: {} });
    expect(objectSchema({ id: "string", secret: "forbidden" })).toEqual({ type: "object", properties: { id: { type: "string" }, secret: { not: {} } }, required: ["id"] });
  });
});
