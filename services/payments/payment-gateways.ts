/**
 * The processors the payments service can use, by the name PAYMENT_GATEWAY
 * gives. Adding one is a class implementing PaymentGateway and a line here
 * (or registerGateway() from a module loaded at start); the service does not
 * change.
 */
import type { GatewayFactory, GatewayOptions, PaymentGateway } from "./payment-gateway";
import { SimulatedGateway } from "./simulated-gateway";

const factories = new Map<string, GatewayFactory>([["simulated", (opts) => new SimulatedGateway(opts)]]);

export function registerGateway(name: string, factory: GatewayFactory): void {
  factories.set(name, factory);
}

export function gatewayNames(): string[] {
  return [...factories.keys()].sort();
}

/** Throws at start on an unknown name, rather than on the first payment. */
export function createGateway(name: string, opts: GatewayOptions): PaymentGateway {
  const factory = factories.get(name);
  if (!factory) throw new Error(`Unknown payment gateway "${name}" (PAYMENT_GATEWAY); known: ${gatewayNames().join(", ")}`);
  return factory(opts);
}
