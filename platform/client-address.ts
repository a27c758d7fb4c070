/**
 * Which address a request came from, for limits keyed per client. The
 * socket's peer is the only address a client cannot choose; an
 * X-Forwarded-For entry is believed only when it was appended by a proxy
 * TRUST_PROXY names (by hop count or by address), the way Express's
 * "trust proxy" reads it: walk the chain from the socket leftwards while
 * the hop is trusted; the first untrusted address is the client.
 */
import { BlockList, isIP } from "node:net";
import type { IncomingMessage } from "node:http";

/** No proxy trusted; a number of proxy hops in front; or the proxies' addresses and subnets. */
export type TrustProxy = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "addresses"; list: BlockList };

export class TrustProxyError extends Error {}

/** TRUST_PROXY: unset/`false`: none; an integer: that many hops; else a comma-separated list of IPs and CIDR subnets. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim() ?? "";
  if (value === "" || ["false", "0", "no", "off"].includes(value.toLowerCase())) return { kind: "none" };
  if (/^\d+$/.test(value)) return { kind: "hops", hops: Number(value) };
  const list = new BlockList();
  for (const entry of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [address, prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) throw new TrustProxyError(`TRUST_PROXY: "${entry}" is not an IP address or CIDR subnet`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const bits = Number(prefix);
    if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new TrustProxyError(`TRUST_PROXY: "${entry}" has an invalid prefix length`);
    list.addSubnet(address, bits, type);
  }
  return { kind: "addresses", list };
}

/** An IPv4 peer on a dual-stack socket reads "::ffff:10.0.0.1": the same client as "10.0.0.1". */
function plain(address: string): string {
  const trimmed = address.trim();
  return trimmed.toLowerCase().startsWith("::ffff:") && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The client's address as `trust` allows it to be known; "unknown" when the socket is gone. */
export function clientAddress(req: Pick<IncomingMessage, "headers" | "socket">, trust: TrustProxy): string {
  const peer = plain(req.socket?.remoteAddress ?? "unknown");
  if (trust.kind === "none") return peer;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map(plain).filter(Boolean);
  // Nearest hop last: the socket's peer, then what each proxy appended before it.
  const chain = [...forwarded, peer];
  if (trust.kind === "hops") return chain[Math.max(0, chain.length - 1 - trust.hops)];
  let i = chain.length - 1;
  while (i > 0 && trusted(trust.list, chain[i])) i--;
  return chain[i];
}
