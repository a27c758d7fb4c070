import type { IncomingMessage } from "node:http";
import { clientAddress, parseTrustProxy, TrustProxyError } from "../../platform/client-address";

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } }) as unknown as IncomingMessage;

describe("the client address of a request (platform/client-address)", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    const none = parseTrustProxy(undefined);
    expect(clientAddress(request("203.0.113.7", "198.51.100.1"), none)).toBe("203.0.113.7");
    expect(clientAddress(request("203.0.113.7", "198.51.100.2"), none)).toBe("203.0.113.7");
    expect(clientAddress(request("::ffff:203.0.113.7"), parseTrustProxy("false"))).toBe("203.0.113.7");
  });

  it("with a hop count, is the address that many proxies in front of the socket saw: a client's own entries stay on the left", () => {
    const oneHop = parseTrustProxy("1");
    // The client sent "1.2.3.4"; the ingress appended the client's real address.
    expect(clientAddress(request("10.0.0.5", "1.2.3.4, 203.0.113.7"), oneHop)).toBe("203.0.113.7");
    expect(clientAddress(request("10.0.0.5", "203.0.113.7"), oneHop)).toBe("203.0.113.7");
    expect(clientAddress(request("10.0.0.5", "9.9.9.9, 8.8.8.8, 203.0.113.7"), parseTrustProxy("2"))).toBe("8.8.8.8");
    // Fewer entries than hops: the leftmost there is.
    expect(clientAddress(request("10.0.0.5"), oneHop)).toBe("10.0.0.5");
  });

  it("with proxy addresses, skips trusted hops from the socket leftwards and stops at the first untrusted one", () => {
    const proxies = parseTrustProxy("10.0.0.0/8, 192.0.2.1");
    expect(clientAddress(request("10.1.2.3", "1.2.3.4, 203.0.113.7, 192.0.2.1"), proxies)).toBe("203.0.113.7");
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(clientAddress(request("203.0.113.9", "1.2.3.4"), proxies)).toBe("203.0.113.9");
  });

  it("refuses TRUST_PROXY values that are neither a count nor addresses", () => {
    expect(() => parseTrustProxy("loopback")).toThrow(TrustProxyError);
    expect(() => parseTrustProxy("10.0.0.0/40")).toThrow(TrustProxyError);
  });
});
