/**
 * The security headers of every answer, and the page's policy: only files of
 * its own origin run, nothing may frame it.
 */
import { CONTENT_SECURITY_POLICY, securityHeaders } from "../../services/api/security-headers";

const directives = new Map(
  CONTENT_SECURITY_POLICY.split(";").map((part) => {
    const [name, ...values] = part.trim().split(/\s+/);
    return [name, values] as const;
  }),
);

describe("the Content-Security-Policy", () => {
  it("allows no inline script or style and no eval", () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*/);
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("style-src")).toEqual(["'self'"]);
  });

  it("forbids framing, plugins and a changed base URL", () => {
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(directives.get("object-src")).toEqual(["'none'"]);
    expect(directives.get("base-uri")).toEqual(["'none'"]);
  });

  it("lets the page talk to its own API only", () => {
    expect(directives.get("connect-src")).toEqual(["'self'"]);
    expect(directives.get("default-src")).toEqual(["'self'"]);
  });
});

describe("securityHeaders", () => {
  it("sends nosniff, a referrer policy and the CSP on every answer", () => {
    expect(securityHeaders({ hstsMaxAgeSec: 0 })).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "same-origin",
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Frame-Options": "DENY",
    });
  });

  it("sends HSTS only when the shop is said to be served over HTTPS", () => {
    expect(securityHeaders({ hstsMaxAgeSec: 0 })).not.toHaveProperty("Strict-Transport-Security");
    expect(securityHeaders({ hstsMaxAgeSec: 31_536_000 })["Strict-Transport-Security"]).toBe("max-age=31536000; includeSubDomains");
  });
});
