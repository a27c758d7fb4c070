/**
 * A service on NeDB keeps its data in its own process: two nodes of it would
 * each hold half the truth. Both the DB mixin (to log) and the gateway's
 * readiness (to answer 503) ask the registry the same question here.
 */
export interface RegistryServiceItem {
  name: string;
  nodeID?: string;
  metadata?: Record<string, unknown>;
  available?: boolean;
}

/** Nodes that run `serviceName` on NeDB storage; more than one means split data. */
export function splitStorageNodes(services: RegistryServiceItem[], serviceName: string): string[] {
  return services
    .filter((s) => s.name === serviceName && s.metadata?.storage === "nedb")
    .map((s) => s.nodeID ?? "")
    .filter((nodeID, i, all) => all.indexOf(nodeID) === i);
}

/** Every NeDB-backed service that runs on more than one node, with its nodes. */
export function splitStorageServices(services: RegistryServiceItem[]): Record<string, string[]> {
  const split: Record<string, string[]> = {};
  for (const name of new Set(services.map((s) => s.name))) {
    const nodes = splitStorageNodes(services, name);
    if (nodes.length > 1) split[name] = nodes;
  }
  return split;
}
