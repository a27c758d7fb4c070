/**
 * Compression of the gateway's answers (gzip or brotli, as the client's
 * Accept-Encoding allows): JSON and the storefront's files over 1 KB. Small
 * answers are not worth the CPU; the `compression` package also skips types
 * that do not compress and answers without a body (304, HEAD).
 */
import compression from "compression";
import type { IncomingMessage, ServerResponse } from "node:http";

export const COMPRESSION_THRESHOLD_BYTES = 1024;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export function responseCompression(): Middleware {
  return compression({ threshold: COMPRESSION_THRESHOLD_BYTES }) as unknown as Middleware;
}
