/**
 * Which node handled how many calls of an action, read from each node's own
 * Prometheus exposition (METRICS_PORT): `moleculer_request_total` with
 * `type="local"` counts the calls a node's handler ran. No platform change
 * and no log parsing: what an operator's dashboard would show.
 */
import type { ClusterNode } from "../../support/cluster";

/** Sum of `moleculer_request_total{action=<action>, type="local"}` on `node`. */
export async function localCalls(node: ClusterNode, action: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("moleculer_request_total{")) continue;
    if (!line.includes(`action="${action}"`) || !line.includes('type="local"')) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** `localCalls` of `action` on each node, keyed by node ID. */
export async function spreadOf(nodes: ClusterNode[], action: string): Promise<Record<string, number>> {
  const counts = await Promise.all(nodes.map((node) => localCalls(node, action)));
  return Object.fromEntries(nodes.map((node, i) => [node.nodeID, counts[i]]));
}
