/**
 * Checks real responses against an OpenAPI document, as a validating proxy
 * would: the route and method must be documented, the status listed for
 * that operation, the body valid against its schema (objects are closed in
 * this project's document, so an undocumented field fails), and the headers
 * the response declares as always sent (X-Request-ID, Location, Retry-After) present.
 * `fetch` is a drop-in fetch for the typed client that records every
 * exchange; `problems` lists what did not match.
 */
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";

type Json = Record<string, any>;

export interface Exchange {
  method: string;
  /** The documented path template, e.g. "/api/orders/{id}"; undefined when no path matched. */
  route?: string;
  status: number;
}

const escapePointer = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

export class ResponseValidator {
  readonly problems: string[] = [];
  readonly seen: Exchange[] = [];
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: { template: string; pattern: RegExp }[];
  private readonly validators = new Map<string, ReturnType<Ajv2020["compile"]>>();

  constructor(private readonly doc: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc, "openapi.json");
    // Literal segments before parameters, so /api/users/me never reads as /api/users/{id}.
    this.routes = Object.keys(doc.paths)
      .sort((a, b) => a.split("{").length - b.split("{").length)
      .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`) }));
  }

  /** A fetch that validates every answer it passes on. */
  readonly fetch = async (request: Request): Promise<Response> => {
    const response = await fetch(request);
    const text = await response.clone().text();
    this.check(request.method, new URL(request.url).pathname, response, text);
    return response;
  };

  /** Sends one hand-made request (a malformed body, say) through the same checks. */
  send(url: string, init: RequestInit): Promise<Response> {
    return this.fetch(new Request(url, init));
  }

  check(method: string, pathname: string, response: Response, text: string): void {
    const where = `${method} ${pathname} -> ${response.status}`;
    const route = this.routes.find((r) => r.pattern.test(pathname))?.template;
    this.seen.push({ method, route, status: response.status });
    const operation = route ? this.doc.paths[route][method.toLowerCase()] : undefined;
    if (!route || !operation) return void this.problems.push(`${where}: no such operation in the document`);
    // The exact status first, then its range ("4XX"), then "default", as OpenAPI reads them.
    const key = [String(response.status), `${String(response.status)[0]}XX`, "default"].find((k) => operation.responses[k]);
    if (!key) return void this.problems.push(`${where}: status ${response.status} is not documented (documented: ${Object.keys(operation.responses).join(", ")})`);
    let answer = operation.responses[key];
    const pointer = ["paths", route, method.toLowerCase(), "responses", key].map(escapePointer);
    if (answer.$ref) {
      pointer.splice(0, pointer.length, ...answer.$ref.slice(2).split("/"));
      answer = this.resolve(answer.$ref);
    }
    for (const name of Object.keys(answer.headers ?? {})) {
      // The rate-limit counters are only sent by the route's limiter; these three always.
      const always = name === "X-Request-ID" || name === "Location" || name === "Retry-After";
      if (always && !response.headers.has(name)) this.problems.push(`${where}: header ${name} is documented but missing`);
    }
    if (!answer.content) return;
    if (!/[/+]json\b/.test(response.headers.get("content-type") ?? "")) return void this.problems.push(`${where}: not JSON (${response.headers.get("content-type")})`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return void this.problems.push(`${where}: the body is not JSON: ${text.slice(0, 100)}`);
    }
    const ref = `openapi.json#/${[...pointer, "content", escapePointer("application/json"), "schema"].join("/")}`;
    const validate = this.validators.get(ref) ?? this.ajv.compile({ $ref: ref });
    this.validators.set(ref, validate);
    if (!validate(body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`);
      this.problems.push(`${where}: the body does not match the document: ${[...new Set(errors)].slice(0, 6).join("; ")}; body ${text.slice(0, 300)}`);
    }
  }

  private resolve(ref: string): Json {
    return ref
      .slice(2)
      .split("/")
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<Json>((node, key) => node[key], this.doc);
  }
}
