/**
 * One attempt of one webhook: POST the body with its headers, wait at most
 * `timeoutMs` for the whole answer, keep at most 1 KB of what came back.
 * Redirects are not followed (a 3xx is a failed attempt: the target could be
 * anywhere, webhook-url.ts), and the connection only ever goes to an address
 * the guarded lookup accepted.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { forbiddenAddress, ForbiddenAddressError, guardedLookup, hostOf } from "./webhook-url";

/** What is kept of a receiver's answer (the console shows it). */
export const RESPONSE_BODY_LIMIT = 1024;

export interface Attempt {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface AttemptResult {
  ok: boolean;
  /** The receiver's status code; absent when it never answered. */
  statusCode?: number;
  /** The first RESPONSE_BODY_LIMIT bytes of the answer, as text. */
  responseBody?: string;
  /** Why the attempt failed (no answer, refused address, redirect...). */
  error?: string;
  durationMs: number;
}

export type SendWebhook = (attempt: Attempt) => Promise<AttemptResult>;

const USER_AGENT = "moleculer-shop-webhooks/1";

export const sendWebhook: SendWebhook = (attempt) => {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    let url: URL;
    try {
      url = new URL(attempt.url);
    } catch {
      return finish({ ok: false, error: "invalid URL" });
    }
    // An address in the URL is connected to without a lookup: check it here.
    const host = hostOf(url);
    const literal = net.isIP(host) ? forbiddenAddress(host, attempt.allowPrivate) : null;
    if (literal) return finish({ ok: false, error: `refused: ${literal}` });

    const client = url.protocol === "https:" ? https : http;
    const request = client.request(url, {
      method: "POST",
      headers: { ...attempt.headers, "content-type": "application/json", "content-length": Buffer.byteLength(attempt.body), "user-agent": USER_AGENT },
      lookup: guardedLookup(attempt.allowPrivate) as unknown as net.LookupFunction,
      agent: false,
    });
    const timer = setTimeout(() => {
      finish({ ok: false, error: `no answer within ${attempt.timeoutMs} ms` });
      request.destroy();
    }, attempt.timeoutMs);

    request.on("error", (err) => {
      const reason = err instanceof ForbiddenAddressError ? `refused: ${err.message}` : `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}`;
      finish({ ok: false, error: reason });
    });
    request.on("response", (response) => {
      const statusCode = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = () => {
        const responseBody = Buffer.concat(chunks).toString("utf8");
        const redirect = statusCode >= 300 && statusCode < 400;
        const ok = statusCode >= 200 && statusCode < 300;
        finish({ ok, statusCode, responseBody, ...(redirect ? { error: `redirect to ${response.headers.location ?? "?"} not followed` } : {}) });
      };
      response.on("data", (chunk: Buffer) => {
        if (kept >= RESPONSE_BODY_LIMIT) return;
        const part = chunk.subarray(0, RESPONSE_BODY_LIMIT - kept);
        chunks.push(part);
        kept += part.length;
        // Enough kept: the rest is not read (a receiver cannot make the shop download a large answer).
        if (kept >= RESPONSE_BODY_LIMIT) {
          done();
          response.destroy();
        }
      });
      response.on("end", done);
      response.on("error", done);
    });
    request.end(attempt.body);
  });
};
