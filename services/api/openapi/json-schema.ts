/**
 * fastest-validator rules (every action's `params`) as JSON Schema, so the
 * OpenAPI document is derived from what the validator enforces and cannot
 * drift from it.
 */
export type JsonSchema = Record<string, unknown>;
type Rule = string | Record<string, unknown> | Rule[];

/** "string|optional|min:3" shorthand into its object form. */
function expand(rule: Rule): Record<string, unknown> {
  if (Array.isArray(rule)) return { type: "multi", rules: rule };
  if (typeof rule !== "string") return rule;
  const [type, ...flags] = rule.split("|");
  const out: Record<string, unknown> = { type };
  for (const flag of flags) {
    const [key, value] = flag.split(":");
    out[key] = value === undefined ? true : Number.isNaN(Number(value)) ? value : Number(value);
  }
  return out;
}

export function isOptional(rule: Rule): boolean {
  const r = expand(rule);
  // A forbidden field must not be sent at all: never required.
  return r.optional === true || r.default !== undefined || r.type === "forbidden";
}

/** An example value for a rule, for the document's examples. */
export function exampleOf(rule: Rule): unknown {
  const r = expand(rule);
  if (r.example !== undefined) return r.example;
  if (r.default !== undefined) return r.default;
  switch (r.type) {
    case "string":
      if (Array.isArray(r.enum)) return r.enum[0];
      return typeof r.min === "number" && r.min > 6 ? "x".repeat(r.min) : "string";
    case "email":
      return "ada@example.com";
    case "url":
      return "https://example.com/image.jpg";
    case "number":
      return typeof r.min === "number" ? Math.max(r.min, 1) : 1;
    case "boolean":
      return true;
    case "enum":
    case "equal":
      return Array.isArray(r.values) ? r.values[0] : r.value;
    case "array":
      return r.items ? [exampleOf(r.items as Rule)] : [];
    case "object": {
      const props = (r.props ?? r.properties) as Record<string, Rule> | undefined;
      return props ? objectExample(props) : {};
    }
    case "multi":
      return exampleOf((r.rules as Rule[])[0]);
    default:
      return undefined;
  }
}

export function objectExample(props: Record<string, Rule>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(props)) {
    if (name.startsWith("$$")) continue;
    const value = exampleOf(rule);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function objectSchema(props: Record<string, Rule>, strict?: unknown): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(props)) {
    if (name.startsWith("$$")) continue;
    properties[name] = toJsonSchema(rule);
    if (!isOptional(rule)) required.push(name);
  }
  const schema: JsonSchema = { type: "object", properties };
  if (required.length > 0) schema.required = required;
  // "remove" drops unknown fields silently; only `true` refuses them.
  if (strict === true) schema.additionalProperties = false;
  return schema;
}

export function toJsonSchema(rule: Rule): JsonSchema {
  const r = expand(rule);
  // A custom rule (e.g. checkout's card) says itself what it accepts: the validator cannot.
  if (r.jsonSchema !== null && typeof r.jsonSchema === "object") return { ...(r.jsonSchema as JsonSchema), ...(typeof r.description === "string" ? { description: r.description } : {}) };
  const schema: JsonSchema = {};
  switch (r.type) {
    case "string":
      schema.type = "string";
      if (typeof r.min === "number") schema.minLength = r.min;
      if (typeof r.max === "number") schema.maxLength = r.max;
      if (typeof r.length === "number") schema.minLength = schema.maxLength = r.length;
      if (r.pattern instanceof RegExp) schema.pattern = r.pattern.source;
      else if (typeof r.pattern === "string") schema.pattern = r.pattern;
      if (Array.isArray(r.enum)) schema.enum = r.enum;
      if (r.empty === false && schema.minLength === undefined) schema.minLength = 1;
      break;
    case "email":
      Object.assign(schema, { type: "string", format: "email" });
      break;
    case "url":
      Object.assign(schema, { type: "string", format: "uri" });
      break;
    case "uuid":
      Object.assign(schema, { type: "string", format: "uuid" });
      break;
    case "date":
      Object.assign(schema, { type: "string", format: "date-time" });
      break;
    case "number":
      schema.type = r.integer ? "integer" : "number";
      if (typeof r.min === "number") schema.minimum = r.min;
      if (typeof r.max === "number") schema.maximum = r.max;
      if (r.positive) schema.exclusiveMinimum = 0;
      break;
    case "boolean":
      schema.type = "boolean";
      break;
    case "enum":
      schema.enum = r.values;
      break;
    case "equal":
      schema.const = r.value;
      break;
    case "array":
      schema.type = "array";
      if (r.items) schema.items = toJsonSchema(r.items as Rule);
      if (typeof r.min === "number") schema.minItems = r.min;
      if (typeof r.max === "number") schema.maxItems = r.max;
      break;
    case "object": {
      const props = (r.props ?? r.properties) as Record<string, Rule> | undefined;
      Object.assign(schema, props ? objectSchema(props, r.strict) : { type: "object" });
      break;
    }
    case "multi":
      schema.oneOf = (r.rules as Rule[]).map(toJsonSchema);
      break;
    case "forbidden": {
      // No value is valid; the rule's own message says where the field is changed instead.
      schema.not = {};
      const said = (r.messages as { forbidden?: unknown } | undefined)?.forbidden;
      if (typeof said === "string") schema.description = said.replace(/'\{field\}'|\{field\}/g, "This field");
      break;
    }
    default:
      // any, custom...: nothing the document can say precisely.
      break;
  }
  if (r.default !== undefined && typeof r.default !== "function") schema.default = r.default;
  if (typeof r.description === "string") schema.description = r.description;
  return schema;
}
