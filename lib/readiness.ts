/**
 * Whether a gateway can serve its routes: its broker is connected and every
 * service behind the routes has a node, and none runs split over NeDB files.
 * Node ids stay out of the answer: they are host names.
 */
import { splitStorageServices, type RegistryServiceItem } from "./split-storage";

export interface ReadinessReport {
  ready: boolean;
  status: "ready" | "unavailable";
  transporter: "connected" | "disconnected" | "embedded";
  missing: string[];
  splitStorage: string[];
  services: Record<string, "available" | "missing">;
}

export function readiness(input: { connected: boolean; embedded?: boolean; expected: string[]; registry: RegistryServiceItem[] }): ReadinessReport {
  const available = new Set(input.registry.filter((s) => s.available !== false).map((s) => s.name));
  const services: Record<string, "available" | "missing"> = {};
  for (const name of input.expected) services[name] = available.has(name) ? "available" : "missing";
  const missing = input.expected.filter((name) => !available.has(name));
  const splitStorage = Object.keys(splitStorageServices(input.registry)).filter((name) => input.expected.includes(name));
  const ready = input.connected && missing.length === 0 && splitStorage.length === 0;
  return {
    ready,
    status: ready ? "ready" : "unavailable",
    transporter: input.embedded ? "embedded" : input.connected ? "connected" : "disconnected",
    missing,
    splitStorage,
    services,
  };
}
