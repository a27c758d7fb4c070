/**
 * Whether a gateway can serve its routes: its broker is connected and every
 * service behind the routes has a node, and none runs split over NeDB files.
 * Node ids stay out of the answer: they are host names.
 */
import { splitStorageServices, type RegistryServiceItem } from "../../platform/split-storage";

export interface ReadinessReport {
  ready: boolean;
  status: "ready" | "unavailable";
  transporter: "connected" | "disconnected" | "embedded";
  missing: string[];
  splitStorage: string[];
  /** Services whose REST routes the gateway has not built yet (it does so shortly after a service appears). */
  routesPending: string[];
  services: Record<string, "available" | "missing">;
}

export interface RegistryActionItem {
  name: string;
  rest?: unknown;
  visibility?: string;
}

/** Services with a published REST action that has no route yet. */
export function servicesWithoutRoutes(
  services: (RegistryServiceItem & { actions?: Record<string, RegistryActionItem> })[],
  routedActions: Set<string>,
): string[] {
  const pending = new Set<string>();
  for (const service of services) {
    for (const action of Object.values(service.actions ?? {})) {
      const published = (action.visibility ?? "published") === "published";
      if (action.rest && published && !routedActions.has(action.name)) pending.add(service.name);
    }
  }
  return [...pending].sort();
}

export function readiness(input: {
  connected: boolean;
  embedded?: boolean;
  expected: string[];
  registry: RegistryServiceItem[];
  routesPending?: string[];
}): ReadinessReport {
  const available = new Set(input.registry.filter((s) => s.available !== false).map((s) => s.name));
  const services: Record<string, "available" | "missing"> = {};
  for (const name of input.expected) services[name] = available.has(name) ? "available" : "missing";
  const missing = input.expected.filter((name) => !available.has(name));
  const splitStorage = Object.keys(splitStorageServices(input.registry)).filter((name) => input.expected.includes(name));
  const routesPending = input.routesPending ?? [];
  const ready = input.connected && missing.length === 0 && splitStorage.length === 0 && routesPending.length === 0;
  return {
    ready,
    status: ready ? "ready" : "unavailable",
    transporter: input.embedded ? "embedded" : input.connected ? "connected" : "disconnected",
    missing,
    splitStorage,
    routesPending,
    services,
  };
}
