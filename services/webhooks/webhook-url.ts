/**
 * Where a webhook may go. An endpoint URL is a request the shop makes on an
 * admin's behalf from inside its network, so in production it must be https
 * and must not reach the shop's own neighbourhood: loopback, private,
 * link-local, carrier-grade NAT, multicast and reserved addresses are
 * refused, and cloud metadata addresses always are. Names are checked after
 * DNS resolution, by the lookup the connection itself uses (a name cannot
 * resolve to a public address for the check and a private one for the
 * request), and redirects are never followed (webhook-sender.ts).
 * WEBHOOKS_ALLOW_PRIVATE lifts the address rules (not the metadata one) for
 * development and tests.
 */
import dns from "node:dns";
import net from "node:net";

export interface UrlPolicy {
  /** Only https (production). */
  requireHttps: boolean;
  /** Loopback, private and link-local addresses allowed (WEBHOOKS_ALLOW_PRIVATE). */
  allowPrivate: boolean;
}

/** Instance metadata services (AWS, GCP, Azure, ECS, Alibaba): credentials live there. */
const METADATA = new net.BlockList();
METADATA.addAddress("169.254.169.254", "ipv4");
METADATA.addAddress("169.254.170.2", "ipv4");
METADATA.addAddress("100.100.100.200", "ipv4");
METADATA.addAddress("fd00:ec2::254", "ipv6");

const NOT_PUBLIC = new net.BlockList();
for (const [prefix, bits] of [
  ["0.0.0.0", 8], // "this network", 0.0.0.0 reaches the local host
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
] as const) {
  NOT_PUBLIC.addSubnet(prefix, bits, "ipv4");
}
for (const [prefix, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(prefix, bits, "ipv6");
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return null;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** Why the shop must not connect to `address` (an IP), or null when it may. */
export function forbiddenAddress(address: string, allowPrivate: boolean): string | null {
  const v4 = net.isIPv4(address) ? address : embeddedIPv4(address);
  const [ip, family] = v4 ? [v4, "ipv4" as const] : [address, "ipv6" as const];
  if (!net.isIP(ip)) return `${address} is not an IP address`;
  if (METADATA.check(ip, family)) return `${address} is a cloud metadata address`;
  if (!allowPrivate && NOT_PUBLIC.check(ip, family)) return `${address} is a loopback, private, link-local or reserved address`;
  return null;
}

/** `[::1]` -> `::1`: URL keeps the brackets of an IPv6 host. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** What is wrong with `raw` as an endpoint URL under `policy`, or null. Names are checked again when connecting. */
export function endpointUrlProblem(raw: string, policy: UrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) URL";
  if (policy.requireHttps && url.protocol !== "https:") return "must use https";
  // Credentials in a URL end up in logs and consoles; the signature authenticates the shop instead.
  if (url.username || url.password) return "must not contain credentials";
  const host = hostOf(url);
  if (!host) return "must name a host";
  if (net.isIP(host)) {
    const problem = forbiddenAddress(host, policy.allowPrivate);
    return problem ? `must not point at ${problem.replace(/^\S+ is /, "")}` : null;
  }
  if (!policy.allowPrivate && (host === "localhost" || host.endsWith(".localhost"))) return "must not point at the local host";
  return null;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

export class ForbiddenAddressError extends Error {
  readonly code = "EFORBIDDENADDRESS";
}

/**
 * A `lookup` for http(s).request that resolves the name and refuses it when
 * any of its addresses is forbidden: the connection goes to an address that
 * was checked, never to a second resolution's answer.
 */
export function guardedLookup(allowPrivate: boolean, resolve: typeof dns.lookup = dns.lookup) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      for (const { address } of list) {
        const problem = forbiddenAddress(address, allowPrivate);
        if (problem) return callback(new ForbiddenAddressError(`${hostname} resolves to ${problem.replace(/^\S+ is /, "")} (${address})`), []);
      }
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
