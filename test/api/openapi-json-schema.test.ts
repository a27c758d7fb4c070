import { toJsonSchema, objectSchema, exampleOf } from "../../services/api/openapi/json-schema";
import { openApiPath } from "../../services/api/openapi/document";

describe("validation rules as JSON Schema", () => {
  it("carries bounds, formats and integers over", () => {
    expect(toJsonSchema({ type: "string", min: 8, max: 200 })).toEqual({ type: "string", minLength: 8, maxLength: 200 });
    expect(toJsonSchema({ type: "number", integer: true, min: 0, convert: true })).toEqual({ type: "integer", minimum: 0 });
    expect(toJsonSchema("email")).toEqual({ type: "string", format: "email" });
    expect(toJsonSchema({ type: "enum", values: ["standard", "express"] })).toEqual({ enum: ["standard", "express"] });
    expect(toJsonSchema({ type: "string", pattern: /^[A-Z]{3}$/ })).toEqual({ type: "string", pattern: "^[A-Z]{3}$" });
  });

  it("reads the string shorthand", () => {
    expect(toJsonSchema("number|integer|min:1")).toEqual({ type: "integer", minimum: 1 });
  });

  it("marks required fields and nests objects and arrays", () => {
    const schema = objectSchema({
      email: "email",
      note: { type: "string", optional: true },
      items: { type: "array", min: 1, items: { type: "object", props: { productId: "string", quantity: { type: "number", integer: true } } } },
      $$strict: "remove",
    });
    expect(schema.required).toEqual(["email", "items"]);
    expect(schema).not.toHaveProperty("additionalProperties");
    expect((schema.properties as Record<string, { items: { required: string[] } }>).items.items.required).toEqual(["productId", "quantity"]);
  });

  it("makes examples that satisfy simple rules", () => {
    expect(exampleOf({ type: "string", min: 8 })).toHaveLength(8);
    expect(exampleOf({ type: "number", min: 5 })).toBe(5);
    expect(exampleOf({ type: "enum", values: ["a", "b"] })).toBe("a");
  });

  it("turns route parameters into OpenAPI path templates", () => {
    expect(openApiPath("/api/cart/items/:productId")).toEqual({ path: "/api/cart/items/{productId}", names: ["productId"] });
  });
});

describe("the OpenAPI validator used by the document test", () => {
  const nodeRequire = process.getBuiltinModule("node:module").createRequire(__filename);
  const { Validator } = nodeRequire("@seriousme/openapi-schema-validator") as {
    Validator: new () => { validate(doc: object): Promise<{ valid: boolean }> };
  };

  it("rejects a broken document (so its approval means something)", async () => {
    const broken = { openapi: "3.1.0", info: { title: "x" }, paths: { "/a": { get: { responses: { "2XX": { content: {} } } } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});
