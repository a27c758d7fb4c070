/**
 * The headers every answer of the gateway carries, HTML and JSON alike. The
 * storefront's page loads only files of its own origin, so its policy needs
 * neither 'unsafe-inline' nor 'unsafe-eval': a script smuggled into a product
 * description could not run (docs/security.md, "Browser").
 */
import type { ServerResponse } from "node:http";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export interface SecurityHeaderOptions {
  /** Strict-Transport-Security max-age; 0 sends none (a shop served over plain HTTP must not). */
  hstsMaxAgeSec: number;
}

export function securityHeaders({ hstsMaxAgeSec }: SecurityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    // For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
  if (hstsMaxAgeSec > 0) headers["Strict-Transport-Security"] = `max-age=${hstsMaxAgeSec}; includeSubDomains`;
  return headers;
}

export function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}
