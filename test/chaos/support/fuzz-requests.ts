/**
 * The bad-input fuzzer's parts (chaos scenario 7): the routes as the OpenAPI
 * document describes them, fast-check arbitraries of malformed requests for
 * one route (bodies, query strings, path ids, headers), a raw HTTP sender
 * that sends them byte for byte, and the checks every answer must pass.
 */
import http from "node:http";
import net from "node:net";
import fc from "fast-check";

// ---- routes -------------------------------------------------------------------

export type JsonSchema = Record<string, any>;
export type Role = "anonymous" | "customer" | "admin";

export interface FuzzRoute {
  /** "POST /api/products/{id}/stock" */
  key: string;
  method: string;
  /** "/api/products/{id}/stock" */
  template: string;
  pathParams: string[];
  /** Declared query parameters (GET, DELETE). */
  query: Record<string, JsonSchema>;
  /** The declared JSON body (POST, PUT, PATCH with params). */
  body?: { schema: JsonSchema; example: unknown };
  auth: "none" | "optional" | "required";
  roles: string[];
  /** False for a gateway route the document does not describe (no action behind it: /api/docs). */
  documented: boolean;
}

interface OpenApiOperation {
  security?: unknown[];
  "x-roles"?: string[];
  parameters?: { name: string; in: string; schema?: JsonSchema }[];
  requestBody?: { content: { "application/json": { schema: JsonSchema; example?: unknown } } };
}

/** Every operation of the document, in its order. */
export function routesOf(doc: { paths: Record<string, Record<string, OpenApiOperation>> }): FuzzRoute[] {
  const routes: FuzzRoute[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [verb, op] of Object.entries(ops)) {
      const method = verb.toUpperCase();
      const params = op.parameters ?? [];
      const security = op.security ?? [{ bearerAuth: [] }];
      const json = op.requestBody?.content["application/json"];
      routes.push({
        key: `${method} ${template}`,
        method,
        template,
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === "query").map((p) => [p.name, p.schema ?? {}])),
        body: json ? { schema: json.schema, example: json.example ?? {} } : undefined,
        auth: security.length === 0 ? "none" : security.some((s) => Object.keys(s as object).length === 0) ? "optional" : "required",
        roles: op["x-roles"] ?? [],
        documented: true,
      });
    }
  }
  return routes;
}

/** A served route the document leaves out, from moleculer-web's alias ("GET", "/api/docs/:file"). */
export function bareRoute(method: string, fullPath: string): FuzzRoute {
  const pathParams: string[] = [];
  const template = fullPath.replace(/:(\w+)/g, (_m, name: string) => {
    pathParams.push(name);
    return `{${name}}`;
  });
  const verb = method.toUpperCase();
  return { key: `${verb} ${template}`, method: verb, template, pathParams, query: {}, auth: "none", roles: [], documented: false };
}

// ---- JSON with raw leaves ------------------------------------------------------

/** A JSON text fragment put in as is: -0, 1e309, NaN, a truncated string... */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object as a list of entries: duplicate keys and "__proto__" survive serialising. */
export class Obj {
  constructor(readonly entries: [string, unknown][]) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  if (value !== null && typeof value === "object") return toJsonText(new Obj(Object.entries(value)));
  if (value === undefined) return "null";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value); // NaN, Infinity: not JSON
  return JSON.stringify(value);
}

/** `value` with `path` ("a" or "a.b") set to `to`, or removed when `to` is REMOVE. */
export const REMOVE = Symbol("remove");
function withField(value: unknown, path: string[], to: unknown): unknown {
  const base = value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Raw) && !(value instanceof Obj) ? (value as Record<string, unknown>) : {};
  const [head, ...rest] = path;
  const copy: Record<string, unknown> = { ...base };
  if (rest.length === 0) {
    if (to === REMOVE) delete copy[head];
    else copy[head] = to;
  } else {
    copy[head] = withField(copy[head], rest, to);
  }
  return copy;
}

/** The declared fields of a body schema, nested objects' fields too ("shippingAddress.city"). */
export function fieldPaths(schema: JsonSchema | undefined, prefix: string[] = []): string[][] {
  const props = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const out: string[][] = [];
  for (const [name, sub] of Object.entries(props)) {
    out.push([...prefix, name]);
    if (sub?.type === "object" && prefix.length < 2) out.push(...fieldPaths(sub, [...prefix, name]));
  }
  return out;
}

// ---- leaf values ------------------------------------------------------------------

const NASTY_STRINGS = [
  "", " ", "\u0000", "a\u0000b", "null", "undefined", "NaN", "Infinity", "-0", "1e309", "0x10", "1,5", "12.50", "true", "[]", "{}",
  "$ne", '{"$gt":""}', "../../etc/passwd", "..\\..\\boot.ini", "%00", "%", "\\", "'; DROP TABLE users; --", "<script>alert(1)</script>",
  "${7*7}", "{{7*7}}", "\u202e", "\ud800", "\udfff", "😀", "a\r\nb", "\t", "__proto__", "constructor", "prototype", "toString",
  "hasOwnProperty", "valueOf", "ＡＢＣ", "İ", "ß", "\ufeff", "ADA@EXAMPLE.COM", "ada@example.com\u0000", "a@b", "@", "a@b..c",
];

/** Strings a validator may not expect: empty, control characters, lone surrogates, injections, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 5 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }), weight: 1 },
  { arbitrary: fc.integer({ min: 101, max: 20_000 }).map((n) => "x".repeat(n)), weight: 1 },
);

/** Numbers as JSON text: out of range, -0, floats for integer cents, beyond 2^53, not finite. */
export const nastyNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    new Raw("1e309"), new Raw("-1e309"), new Raw("-0"), new Raw("0.5"), new Raw("12.5"), new Raw("19.99"), new Raw("1e-400"), new Raw("1E2"),
    new Raw("123456789012345678901234567890"), new Raw("9007199254740993"), new Raw("-9007199254740993"), -1, 0, 1, 2 ** 31, 2 ** 53,
    Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 1e21, 999, 1000, 100, 101,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom("NaN", "12", "1e3", "-0", "0x1F", "Infinity", " 5 ", "5abc"),
);

const injection = fc.constantFrom<unknown>({ $gt: "" }, { $ne: null }, { $regex: ".*" }, { $where: "sleep(1000)" }, { $in: [] }, { toString: "x" }, { valueOf: 1 });

/** Deeply nested arrays or objects, as text (built without recursion). */
export const deepNesting: fc.Arbitrary<Raw> = fc
  .tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) => new Raw(arrays ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`));

/** A value of the wrong kind for any declared field. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: nastyNumber, weight: 4 },
  { arbitrary: nastyString, weight: 4 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [1, 2], [[]], ["a"], { a: 1 }), weight: 3 },
  { arbitrary: injection, weight: 2 },
  { arbitrary: fc.constantFrom<unknown>(new Obj([["__proto__", { admin: true }]]), new Obj([["constructor", { prototype: { admin: true } }]])), weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
);

// ---- bodies ---------------------------------------------------------------------

/** Keys a careless merge would let change prototypes, ownership, roles or server-computed fields. */
const POLLUTION_KEYS: [string, unknown][] = [
  ["__proto__", { role: "admin", isAdmin: true, price: 0 }],
  ["constructor", { prototype: { role: "admin" } }],
  ["prototype", { role: "admin" }],
  ["role", "admin"],
  ["userId", "someone-else"],
  ["id", { $ne: null }],
  ["_id", "x"],
  ["$where", "1"],
  ["reserved", -5],
  ["passwordHash", "x"],
  ["price", 0],
  ["total", 0],
  ["$$strict", false],
  ["hasOwnProperty", "x"],
];

export interface BodyPart {
  /** What the body does wrong, for the failure message. */
  kind: string;
  /** Undefined: no body at all. */
  bytes?: Buffer;
}

function bodyOf(kind: string, value: unknown): BodyPart {
  return { kind, bytes: Buffer.from(toJsonText(value), "utf8") };
}
const textBody = (kind: string, text: string): BodyPart => ({ kind, bytes: Buffer.from(text, "utf8") });

/**
 * Bodies for a route: mostly its valid body with one thing wrong (so the
 * request gets past everything else to the check of that thing), and
 * bodies wrong as a whole.
 */
export function bodyArb(valid: unknown, schema: JsonSchema | undefined): fc.Arbitrary<BodyPart> {
  const paths = fieldPaths(schema);
  const validText = toJsonText(valid);
  const strategies: { arbitrary: fc.Arbitrary<BodyPart>; weight: number }[] = [
    { arbitrary: fc.constant(bodyOf("valid", valid)), weight: 1 },
    { arbitrary: fc.constant<BodyPart>({ kind: "none" }), weight: 1 },
    {
      arbitrary: fc.constantFrom<unknown>([], [valid], "string", 123, null, true, {}, new Raw("-0"), new Raw("1e309")).map((v) => bodyOf("not an object", v)),
      weight: 2,
    },
    { arbitrary: deepNesting.map((v) => bodyOf("deep nesting", v)), weight: 1 },
    {
      arbitrary: fc.tuple(fc.subarray(POLLUTION_KEYS, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([keys, withValid]) =>
        bodyOf(`pollution ${keys.map(([k]) => k).join(",")}`, new Obj([...(withValid ? Object.entries(valid as object) : []), ...keys])),
      ),
      weight: 2,
    },
    // Every valid field, but inherited: a validator reading `value.field` sees them, a spread does not copy them.
    { arbitrary: fc.constant(bodyOf("fields under __proto__", new Obj([["__proto__", valid]]))), weight: 1 },
    {
      arbitrary: fc.integer({ min: 0, max: Math.max(0, validText.length - 1) }).map((at) => textBody(`truncated at ${at}`, validText.slice(0, at))),
      weight: 2,
    },
    {
      arbitrary: fc
        .constantFrom(
          `\ufeff${validText}`,
          `${validText}garbage`,
          `${validText}${validText}`,
          validText.replace(/"/g, "'"),
          `/* c */${validText}`,
          "NaN",
          "undefined",
          "",
          "   ",
          "\u0000",
          "{",
          '{"a":}',
          "[1,]",
          '{"a":1,}',
          '"\\ud800"',
          '{"\\u0000":1}',
          `{"a":"${"\\".repeat(3)}"}`,
        )
        .map((text) => textBody("malformed text", text)),
      weight: 2,
    },
    { arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ kind: "random bytes", bytes: Buffer.from(bytes) })), weight: 1 },
    { arbitrary: fc.integer({ min: 200_000, max: 400_000 }).map((n) => bodyOf(`huge ${n}`, { ...(valid as object), pad: "x".repeat(n) })), weight: 1 },
  ];
  if (paths.length > 0) {
    const pick = fc.constantFrom(...paths);
    strategies.push(
      { arbitrary: fc.tuple(pick, wrongValue).map(([p, v]) => bodyOf(`${p.join(".")} wrong`, withField(valid, p, v))), weight: 8 },
      { arbitrary: pick.map((p) => bodyOf(`${p.join(".")} missing`, withField(valid, p, REMOVE))), weight: 2 },
      {
        // The same key twice, the second of another kind.
        arbitrary: fc.tuple(pick, wrongValue).map(([p, v]) => bodyOf(`${p[0]} duplicated`, new Obj([...Object.entries(valid as object), [p[0], v]]))),
        weight: 1,
      },
    );
  }
  return fc.oneof(...strategies);
}

// ---- query strings --------------------------------------------------------------

/** A piece of a URL sent as is: printable ASCII without `#`, spaces encoded. */
const rawUrlText = fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@/?%[]{}|\\^`\"<>".split("")), maxLength: 20 });

const enc = (s: string) => encodeURIComponent(s).replace(/%2F/gi, "/").replace(/'/g, "%27");
const encodeAll = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    // A lone surrogate cannot be encoded: send its UTF-8 bytes as garbage percent escapes.
    return "%ED%A0%80";
  }
};

const queryValue: fc.Arbitrary<string> = fc.oneof(
  nastyString.map(encodeAll),
  nastyNumber.map((n) => encodeAll(n instanceof Raw ? n.text : String(n))),
  rawUrlText,
  fc.constantFrom("", "%", "%zz", "%00", "%E0%A4%A", "%C0%AF", "%2e%2e%2f", "+", "%2B", "true", "false", "1", "0", "-1", "20", "101", "1.5"),
  fc.integer({ min: 1000, max: 12_000 }).map((n) => "9".repeat(n)),
);

/** Raw query strings (without "?") over the declared keys and others. */
export function queryArb(declared: string[]): fc.Arbitrary<{ kind: string; text: string }> {
  const key = fc.oneof(
    { arbitrary: declared.length > 0 ? fc.constantFrom(...declared) : fc.constant("page"), weight: 5 },
    {
      arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "query", "id", "userId", "role", "$where", "a", "", "%", "%00", "page", "pageSize", "sort", "token"),
      weight: 2,
    },
    { arbitrary: rawUrlText, weight: 1 },
  );
  const suffix = fc.constantFrom("", "", "", "[]", "[0]", "[25]", "[$gt]", "[$ne]", "[__proto__]", "[a][b][c][d][e][f][g]", "[prototype][x]", "][", "[");
  const pair = fc.tuple(key, suffix, fc.option(queryValue, { nil: undefined })).map(([k, s, v]) => (v === undefined ? `${k}${s}` : `${k}${s}=${v}`));
  return fc.oneof(
    { arbitrary: fc.constant({ kind: "no query", text: "" }), weight: 3 },
    { arbitrary: fc.array(pair, { minLength: 1, maxLength: 6 }).map((pairs) => ({ kind: "query", text: pairs.join("&") })), weight: 6 },
    // The same key repeated: qs makes an array of it.
    {
      arbitrary: fc.tuple(key, fc.array(queryValue, { minLength: 2, maxLength: 30 })).map(([k, vs]) => ({ kind: `repeated ${k}`, text: vs.map((v) => `${k}=${v}`).join("&") })),
      weight: 2,
    },
    { arbitrary: fc.integer({ min: 1001, max: 1500 }).map((n) => ({ kind: `${n} parameters`, text: Array.from({ length: n }, (_, i) => `k${i}=1`).join("&") })), weight: 1 },
    { arbitrary: fc.constantFrom("&&&", "=", "==", "?", "&=&", ";", "%", "a=1&a[b]=2", "a[b]=2&a=1").map((text) => ({ kind: "odd query", text })), weight: 1 },
  );
}

// ---- path ids -------------------------------------------------------------------

const NASTY_IDS = [
  "..", ".", "%2e%2e", "%2E%2E%2F%2E%2E", "..%2F..%2Fetc%2Fpasswd", "%2F", "a%2Fb", "%5C", "%00", "a%00b", "%", "%zz", "%E0%A4%A", "%C0%AF", "%FF",
  "null", "undefined", "%5Bobject%20Object%5D", "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "-1", "0", "1e309", "%20", "+", "*", "%24ne", "a;b", "a,b", "~",
  "%7B%22%24ne%22%3Anull%7D", "ffffffffffffffffffffffff", "000000000000000000000000", "ZZZZZZZZZZZZZZZZZZZZZZZZ", "aaaaaaaaaaaaaaaa", "%E2%80%AE", "%F0%9F%98%80",
  "%ED%A0%80", "..;", "%252e%252e",
];

/** Ids for a path parameter: the given valid ones now and then, else malformed. */
export function idArb(valid: string[]): fc.Arbitrary<{ kind: string; text: string }> {
  const strategies: { arbitrary: fc.Arbitrary<{ kind: string; text: string }>; weight: number }[] = [
    { arbitrary: fc.constantFrom(...NASTY_IDS).map((text) => ({ kind: `id ${text}`, text })), weight: 6 },
    { arbitrary: nastyString.filter((s) => s.length <= 12_000).map((s) => ({ kind: "id encoded", text: encodeAll(s) })), weight: 3 },
    { arbitrary: rawUrlText.filter((s) => s.length > 0 && !s.includes("/") && !s.includes("?")).map((text) => ({ kind: `id raw ${text}`, text })), weight: 2 },
    { arbitrary: fc.integer({ min: 101, max: 10_000 }).map((n) => ({ kind: `id of ${n} chars`, text: "a".repeat(n) })), weight: 1 },
  ];
  if (valid.length > 0) strategies.push({ arbitrary: fc.constantFrom(...valid).map((text) => ({ kind: "valid id", text: enc(text) })), weight: 4 });
  return fc.oneof(...strategies);
}

// ---- headers ------------------------------------------------------------------

/** Header values Node's client can send: visible latin-1 and tabs (no CR/LF). */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9)).map((c) => String.fromCharCode(c)), maxLength });

const CONTENT_TYPES = [
  "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "application/json; charset=latin1",
  'application/json; charset="utf-8"', "application/json;charset=UTF-8", "application/json; charset=bogus", "APPLICATION/JSON", "application/json, text/plain",
  "application/merge-patch+json", "application/vnd.api+json", "*/*", "application/jsonp", "application/json; boundary=--", "application/json; charset=",
  "application/xml", "json", "", ";;;", "application/json; charset=utf-8; charset=utf-16",
];

export interface HeaderPart {
  kind: string;
  /** Replaces the role's `Authorization`; null: send none. */
  authorization?: string | null;
  headers: Record<string, string>;
}

/**
 * Headers: content type and encoding tricks, broken Authorization values
 * (`badTokens`: expired, foreign, unknown user... JWTs), request ids and
 * idempotency keys of every shape.
 */
export function headerArb(badTokens: string[]): fc.Arbitrary<HeaderPart> {
  const authorization: fc.Arbitrary<{ kind: string; value?: string | null }> = fc.oneof(
    { arbitrary: fc.constant({ kind: "" }), weight: 12 },
    { arbitrary: fc.constant({ kind: "no Authorization", value: null }), weight: 1 },
    {
      arbitrary: fc
        .constantFrom("", "Bearer", "Bearer ", "bearer x", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer \t", "Token abc", "Bearer ..", "Bearer e30.e30.", "Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer =")
        .map((value) => ({ kind: `Authorization ${value}`, value })),
      weight: 2,
    },
    ...(badTokens.length > 0 ? [{ arbitrary: fc.constantFrom(...badTokens).map((t) => ({ kind: "bad JWT", value: `Bearer ${t}` })), weight: 2 }] : []),
    { arbitrary: headerText(300).map((value) => ({ kind: "Authorization garbage", value })), weight: 1 },
    { arbitrary: fc.integer({ min: 4097, max: 12_000 }).map((n) => ({ kind: `Bearer of ${n}`, value: `Bearer ${"a".repeat(n)}` })), weight: 1 },
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant<string | undefined>("application/json"), weight: 10 },
    { arbitrary: fc.constant<string | undefined>(undefined), weight: 1 },
    { arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 3 },
    { arbitrary: headerText(60), weight: 1 },
  );
  const optional = (arb: fc.Arbitrary<string>, weight: number) => fc.oneof({ arbitrary: fc.constant<string | undefined>(undefined), weight }, { arbitrary: arb, weight: 1 });
  return fc
    .record({
      auth: authorization,
      contentType,
      encoding: optional(fc.constantFrom("gzip", "deflate", "br", "identity", "bogus", "gzip, gzip", ""), 12),
      requestId: optional(fc.oneof(headerText(200), fc.constantFrom("", "a b", "x".repeat(129), "ok-id-1", "../../x", "%00", "\t")), 3),
      idempotencyKey: optional(fc.oneof(headerText(300), fc.constantFrom("", " ", "x".repeat(256), "k\u00e9y", "%00", "valid-key-1")), 3),
      accept: optional(fc.constantFrom("text/html", "application/xml", "*/*;q=0", "garbage", ""), 8),
      charsetTrick: optional(fc.constantFrom("utf-16", "latin1", "bogus"), 20),
    })
    .map(({ auth, contentType: ct, encoding, requestId, idempotencyKey, accept, charsetTrick }) => {
      const headers: Record<string, string> = {};
      const kinds: string[] = [];
      if (auth.kind) kinds.push(auth.kind);
      if (ct !== undefined) headers["content-type"] = ct;
      if (ct !== "application/json") kinds.push(`content-type ${JSON.stringify(ct)}`);
      const optional: [string, string | undefined, string][] = [
        ["content-encoding", encoding, `content-encoding ${encoding}`],
        ["x-request-id", requestId, "x-request-id"],
        ["idempotency-key", idempotencyKey, "idempotency-key"],
        ["accept", accept, `accept ${accept}`],
        ["accept-charset", charsetTrick, "accept-charset"],
      ];
      for (const [name, value, kind] of optional) {
        if (value === undefined) continue;
        headers[name] = value;
        kinds.push(kind);
      }
      return { kind: kinds.join(", "), authorization: auth.value, headers };
    });
}

// ---- sending -----------------------------------------------------------------------

export interface FuzzRequest {
  route: string;
  role: Role;
  method: string;
  /** Path and query exactly as sent. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What is malformed, in a few words. */
  kinds: string[];
}

export interface FuzzResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Set when no HTTP answer came: the connection was refused, reset or timed out. */
  error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export function closeAgent(): void {
  agent.destroy();
}

/** Sends exactly what `req` says (Node's client still refuses CR/LF in headers and spaces in paths). */
export function send(baseUrl: string, req: FuzzRequest, timeoutMs = 15_000): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  const body = req.body;
  return new Promise((resolve) => {
    let request: http.ClientRequest;
    try {
      request = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: req.method,
          path: req.path,
          agent,
          headers: { ...req.headers, ...(body ? { "content-length": String(body.length) } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", (err) => resolve({ status: 0, headers: {}, text: "", error: `response: ${err.message}` }));
        },
      );
    } catch (err) {
      resolve({ status: -1, headers: {}, text: "", error: `not sendable: ${(err as Error).message}` });
      return;
    }
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (err) => resolve({ status: 0, headers: {}, text: "", error: (err as Error).message }));
    request.end(body);
  });
}

// ---- checks ------------------------------------------------------------------------

/** What must never reach a client: stack frames, source paths, the machine's directories, the node id. */
export function leakPatterns(nodeID: string): RegExp[] {
  const escaped = nodeID.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [/\bat [^\s()]+ \(/, /\n\s+at /, /\.(?:ts|js|mjs|cjs):\d+/, /\/work\//, /node_modules/, /"stack"\s*:/, /\/home\//, /\/srv\//, new RegExp(escaped)];
}

/** True when `req` itself contains something the leak check looks for (it could be echoed back). */
export function requestLooksLeaky(req: FuzzRequest, patterns: RegExp[]): boolean {
  const all = [req.path, req.body?.toString("utf8") ?? "", ...Object.values(req.headers)].join("\n");
  let decoded = all;
  try {
    decoded = decodeURIComponent(all);
  } catch {
    // keep the raw text
  }
  return patterns.some((p) => p.test(all) || p.test(decoded));
}

const ERROR_KEYS = new Set(["name", "message", "code", "type", "data"]);

/** Everything wrong with one answer (to a HEAD request: without a body); empty when it keeps the rules. */
export function problemsOf(res: FuzzResponse, patterns: RegExp[], opts: { head?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (res.error) return [`no HTTP answer: ${res.error}`];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  if (res.status >= 400 && res.status < 500 && !opts.head) {
    const type = String(res.headers["content-type"] ?? "");
    if (!/application\/json/i.test(type)) problems.push(`${res.status} with content-type ${JSON.stringify(type)}`);
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      problems.push(`${res.status} whose body is not JSON: ${JSON.stringify(res.text.slice(0, 200))}`);
    }
    if (body !== undefined) {
      const e = body as Record<string, unknown>;
      const shaped =
        e !== null && typeof e === "object" && !Array.isArray(e) && typeof e.name === "string" && typeof e.message === "string" && e.code === res.status && typeof e.type === "string" && e.type !== "";
      if (!shaped) problems.push(`${res.status} not in the error shape: ${res.text.slice(0, 300)}`);
      else {
        const extra = Object.keys(e).filter((k) => !ERROR_KEYS.has(k));
        if (extra.length > 0) problems.push(`${res.status} error with extra keys ${extra.join(", ")}`);
      }
    }
  }
  if (!res.headers["x-request-id"]) problems.push(`${res.status} without X-Request-ID`);
  const headerText = Object.entries(res.headers)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join("\n");
  for (const p of patterns) {
    if (p.test(res.text)) problems.push(`body leaks ${p}: ${res.text.slice(0, 300)}`);
    if (p.test(headerText)) problems.push(`headers leak ${p}`);
  }
  return problems;
}

// ---- raw HTTP --------------------------------------------------------------------

/**
 * Sends `bytes` on a fresh connection and half-closes it, so a server that
 * waits for more of a request sees the end of it; resolves with the first
 * response, parsed (Content-Length or chunked), or an error when none came.
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 10_000): Promise<FuzzResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (res: FuzzResponse) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(res);
    };
    const timer = setTimeout(() => finish({ status: 0, headers: {}, text: "", error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const tryParse = (closed: boolean) => {
      const parsed = parseRawResponse(data, closed);
      if (parsed) finish(parsed);
      else if (closed) finish({ status: 0, headers: {}, text: data.toString("latin1"), error: data.length === 0 ? "connection closed without an answer" : "incomplete answer" });
    };
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      tryParse(false);
    });
    socket.on("close", () => tryParse(true));
    socket.on("error", () => undefined); // "close" follows
    socket.end(bytes);
  });
}

function parseRawResponse(data: Buffer, closed: boolean): FuzzResponse | null {
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const lines = data.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
  const headers: http.IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  let rest = data.subarray(headEnd + 4);
  const length = headers["content-length"];
  if (length !== undefined) {
    if (rest.length < Number(length)) return null;
    return { status, headers, text: rest.subarray(0, Number(length)).toString("utf8") };
  }
  if (/chunked/i.test(String(headers["transfer-encoding"] ?? ""))) {
    const parts: Buffer[] = [];
    for (;;) {
      const eol = rest.indexOf("\r\n");
      if (eol < 0) return null;
      const size = parseInt(rest.subarray(0, eol).toString("latin1"), 16);
      if (Number.isNaN(size)) return { status, headers, text: "", error: "unreadable chunked answer" };
      if (size === 0) return { status, headers, text: Buffer.concat(parts).toString("utf8") };
      if (rest.length < eol + 2 + size + 2) return null;
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 2 + size + 2);
    }
  }
  // No length: the body runs to the end of the connection (a 204/304 has none).
  return closed || status === 204 || status === 304 ? { status, headers, text: rest.toString("utf8") } : null;
}

const TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split("");
const headerName = fc.oneof(
  { arbitrary: fc.string({ unit: fc.constantFrom(...TOKEN), minLength: 1, maxLength: 20 }), weight: 4 },
  { arbitrary: fc.constantFrom("X A", "X(A)", "X\u0000A", "", ":", "X:A", "\u00e9", " X-A", "X-A ", "\tX"), weight: 1 },
);
const headerBytes = fc.oneof(
  { arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 }), weight: 2 },
  { arbitrary: fc.constantFrom("a\rb", "a\nb", "a\r\n continued", "\u0000", "\u007f", "\u00ff\u00fe"), weight: 1 },
);

export interface RawSpec {
  kind: string;
  method: string;
  bytes: Buffer;
}

/**
 * Raw requests for `targets` (paths of the API): odd request lines and
 * versions, broken header names and values, and framing that contradicts
 * itself (Content-Length and Transfer-Encoding). Host is always sent (a
 * request without it gets Node's own bare 400, which RFC 9112 demands).
 */
export function rawRequestArb(targets: string[]): fc.Arbitrary<RawSpec> {
  const method = fc.oneof(
    { arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"), weight: 6 },
    { arbitrary: fc.constantFrom("HEAD", "TRACE", "G@T", "get", "POST POST", "PROPFIND", "BREW"), weight: 1 },
  );
  const target = fc.oneof(
    { arbitrary: fc.constantFrom(...targets), weight: 6 },
    {
      arbitrary: fc.constantFrom("*", "http://evil.example/api/products", "/api/../api/products", "//api//products", "/api/products%", "/api/products/%00", "/%2e%2e/", "/api/products?a=%", "api/products", "/api/products#x", "/api/\u00e9"),
      weight: 2,
    },
  );
  const version = fc.oneof({ arbitrary: fc.constant("HTTP/1.1"), weight: 8 }, { arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/1.1x", "http/1.1", "", "HTTP/0.9"), weight: 1 });
  const body = fc.oneof(
    fc.constant(""),
    fc.constantFrom('{"email":"a@b.co","password":"x"}', "{", "[]", '{"__proto__":{"a":1}}', "null", "\u0000\u0001"),
    fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  );
  const framing = fc.oneof(
    { arbitrary: fc.constantFrom("content-length", "none", "chunked"), weight: 2 },
    { arbitrary: fc.constantFrom("short", "long", "two lengths", "nan length", "bad chunk", "te+cl", "te gzip", "negative"), weight: 1 },
  );
  return fc
    .record({
      method,
      target,
      version,
      lf: fc.oneof({ arbitrary: fc.constant("\r\n"), weight: 9 }, { arbitrary: fc.constant("\n"), weight: 1 }),
      extra: fc.oneof(fc.constant<[string, string][]>([]), fc.array(fc.tuple(headerName, headerBytes), { minLength: 1, maxLength: 4 })),
      contentType: fc.constantFrom("application/json", "application/json", "text/plain", "application/json; charset=utf-16", ""),
      body,
      framing,
    })
    .map(({ method: m, target: t, version: v, lf, extra, contentType, body: b, framing: f }) => {
      const len = Buffer.byteLength(b, "latin1");
      const framingHeaders: Record<string, string[]> = {
        "content-length": [`Content-Length: ${len}`],
        none: [],
        short: [`Content-Length: ${len + 10}`],
        long: [`Content-Length: ${Math.max(0, len - 1)}`],
        "two lengths": [`Content-Length: ${len}`, `Content-Length: ${len + 1}`],
        "nan length": ["Content-Length: abc"],
        chunked: ["Transfer-Encoding: chunked"],
        "bad chunk": ["Transfer-Encoding: chunked"],
        "te+cl": ["Transfer-Encoding: chunked", `Content-Length: ${len}`],
        "te gzip": ["Transfer-Encoding: gzip, chunked"],
        negative: ["Content-Length: -1"],
      };
      const payload =
        f === "chunked" || f === "te+cl" || f === "te gzip" ? `${len.toString(16)}\r\n${b}\r\n0\r\n\r\n` : f === "bad chunk" ? `zz\r\n${b}\r\n0\r\n\r\n` : b;
      const lines = [`${m} ${t} ${v}`.trim(), "Host: 127.0.0.1", ...(contentType ? [`Content-Type: ${contentType}`] : []), ...framingHeaders[f], ...extra.map(([n, val]) => `${n}: ${val}`)];
      return {
        kind: `${JSON.stringify(lines[0])} framing ${f}${extra.length ? `, headers ${JSON.stringify(extra)}` : ""}${lf === "\n" ? ", bare LF" : ""}`,
        method: m,
        bytes: Buffer.from(`${lines.join(lf)}${lf}${lf}${payload}`, "latin1"),
      };
    });
}
