/**
 * Reads and runs a `.http` file of the REST Client / JetBrains HTTP client
 * kind (docs/examples/*.http), as far as those files use it:
 *
 *   @var = value                      file variables, `{{var}}`
 *   ### title                         starts a request
 *   # @name login                     names its response, `{{login.response.body.$.token}}`
 *   # expect: 201                     the status this runner checks (clients ignore comments)
 *   METHOD url, header lines, a blank line, the body
 *   {{$guid}}                         a new UUID at each use
 *   {{$datetime "YYYY" 5 y}}          the year five years from now (the one format used)
 *
 * Response paths are JSONPath's simple form: `$`, `.key`, `[n]`.
 */
import { randomUUID } from "node:crypto";

export interface HttpExample {
  title: string;
  name?: string;
  expect?: number;
  method: string;
  url: string;
  headers: [string, string][];
  body?: string;
}

export interface HttpFile {
  variables: Record<string, string>;
  requests: HttpExample[];
}

export interface ExampleResult {
  example: HttpExample;
  url: string;
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

const VARIABLE = /^@([\w-]+)\s*=\s*(.*)$/;
const REQUEST_LINE = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)(\s+HTTP\/[\d.]+)?$/;

export function parseHttpFile(text: string): HttpFile {
  const variables: Record<string, string> = {};
  const requests: HttpExample[] = [];
  const blocks = text.split(/^###/m);
  blocks.forEach((block, index) => {
    const lines = block.split(/\r?\n/);
    const title = index === 0 ? "" : lines.shift()!.trim();
    let example: Partial<HttpExample> & { headers: [string, string][] } = { title, headers: [] };
    let phase: "before" | "headers" | "body" = "before";
    const body: string[] = [];
    for (const line of lines) {
      if (phase === "before") {
        const variable = VARIABLE.exec(line.trim());
        if (variable) variables[variable[1]] = variable[2].trim();
        else if (/^(#|\/\/)/.test(line.trim())) {
          const name = /@name\s+([\w-]+)/.exec(line);
          const expected = /expect:\s*(\d{3})/.exec(line);
          if (name) example.name = name[1];
          if (expected) example.expect = Number(expected[1]);
        } else if (line.trim() !== "") {
          const request = REQUEST_LINE.exec(line.trim());
          if (!request) throw new Error(`"${title}": not a request line: ${line}`);
          example = { ...example, method: request[1], url: request[2] };
          phase = "headers";
        }
      } else if (phase === "headers") {
        if (line.trim() === "") phase = "body";
        else {
          const colon = line.indexOf(":");
          if (colon < 1) throw new Error(`"${title}": not a header: ${line}`);
          example.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
        }
      } else body.push(line);
    }
    if (!example.method) {
      if (index > 0 && (example.name || example.expect)) throw new Error(`"${title}" has no request line`);
      return;
    }
    const content = body.join("\n").trim();
    requests.push({ ...(example as HttpExample), ...(content ? { body: content } : {}) });
  });
  return { variables, requests };
}

/** The value at a JSONPath-like `$.a.b[0].c` in `value`. */
export function atPath(value: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new Error(`Response paths start with $: ${path}`);
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]/g) ?? [];
  let at: unknown = value;
  for (const step of steps) {
    if (at === null || typeof at !== "object") return undefined;
    const key = step.startsWith("[") ? Number(step.slice(1, -1)) : step.slice(1);
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function substitute(text: string, variables: Record<string, string>, named: Map<string, ExampleResult>): string {
  // Variables may use others ({{baseUrl}} in a file variable): a few rounds settle them.
  let out = text;
  for (let round = 0; round < 5 && out.includes("{{"); round++) {
    out = out.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (whole, expression: string) => {
      if (expression === "$guid") return randomUUID();
      const year = /^\$datetime\s+"YYYY"(?:\s+(-?\d+)\s+y)?$/.exec(expression);
      if (year) return String(new Date().getUTCFullYear() + Number(year[1] ?? 0));
      const reference = /^([\w-]+)\.response\.body\.(\$.*)$/.exec(expression);
      if (reference) {
        const result = named.get(reference[1]);
        if (!result) throw new Error(`{{${expression}}}: no earlier response named ${reference[1]}`);
        const value = atPath(result.body, reference[2]);
        if (value === undefined || value === null || typeof value === "object") throw new Error(`{{${expression}}}: ${JSON.stringify(value)} in ${result.text.slice(0, 300)}`);
        return String(value);
      }
      if (expression in variables) return variables[expression];
      throw new Error(`{{${expression}}} is not defined`);
    });
  }
  return out;
}

/** Runs the requests in order; `overrides` replace file variables (a test's baseUrl). */
export async function runHttpFile(file: HttpFile, overrides: Record<string, string> = {}): Promise<ExampleResult[]> {
  const variables = { ...file.variables, ...overrides };
  const named = new Map<string, ExampleResult>();
  const results: ExampleResult[] = [];
  for (const example of file.requests) {
    const url = substitute(example.url, variables, named);
    const headers = Object.fromEntries(example.headers.map(([name, value]) => [name, substitute(value, variables, named)]));
    const body = example.body === undefined ? undefined : substitute(example.body, variables, named);
    const response = await fetch(url, { method: example.method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : text;
    } catch {
      // not JSON: kept as text
    }
    const result = { example, url, status: response.status, headers: response.headers, body: parsed, text };
    results.push(result);
    if (example.name) named.set(example.name, result);
  }
  return results;
}
