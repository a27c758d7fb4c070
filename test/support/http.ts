import { request as httpRequest } from "node:http";
import { causeMessage, errorMessage } from "./error-message";

/**
 * A small JSON client for end-to-end tests, over global fetch. It never
 * throws on an HTTP status: tests assert on 4xx/5xx as much as on 2xx.
 */

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response says it is JSON (and parses), else the raw text. */
  body: T;
  /** The raw response text, for assertions on exact bytes or unparsable JSON. */
  text: string;
}

export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface ApiClient {
  get<T = unknown>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  post<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  put<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  patch<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  delete<T = unknown>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export function api(baseUrl: string): ApiClient {
  const send = <T>(method: string, path: string, body: unknown, options: RequestOptions = {}) => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    Object.assign(headers, options.headers);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return request<T>(baseUrl, method, path, payload, headers, options.timeoutMs);
  };
  return {
    get: (path, options) => send("GET", path, undefined, options),
    post: (path, body, options) => send("POST", path, body, options),
    put: (path, body, options) => send("PUT", path, body, options),
    patch: (path, body, options) => send("PATCH", path, body, options),
    delete: (path, body, options) => send("DELETE", path, body, options),
  };
}

/** Sends `rawBody` exactly as given, for malformed, oversized or mislabelled bodies. */
export function rawRequest<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  rawBody: string | Buffer,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<ApiResponse<T>> {
  return request<T>(baseUrl, method, path, typeof rawBody === "string" ? rawBody : new Uint8Array(rawBody), headers, timeoutMs);
}

async function request<T>(
  baseUrl: string,
  method: string,
  path: string,
  body: string | Uint8Array | undefined,
  headers: Record<string, string>,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<ApiResponse<T>> {
  // Joined rather than resolved with URL: a base of http://host/api must keep its /api.
  const url = `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    // The cause says refused, reset or timed out; fetch's own message only "fetch failed".
    throw new Error(`${method} ${url} failed: ${causeMessage(err) ?? errorMessage(err)}`, { cause: err });
  }
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: parseBody(response.headers, text) as T, text };
}

function parseBody(headers: Headers, text: string): unknown {
  // application/json and the +json family (problem+json...) are JSON.
  const isJson = /[/+]json\b/i.test(headers.get("content-type") ?? "");
  if (!isJson || text === "") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * GETs `path` exactly as written, dot segments and all: fetch (and the URL
 * class) resolve `/a/../b` to `/b` before sending, so a traversal attempt
 * made with them never reaches the server.
 */
export function getPathAsGiven(baseUrl: string, path: string, headers: Record<string, string> = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method: "GET", path, headers, timeout: timeoutMs }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
