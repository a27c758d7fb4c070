/**
 * The processors the payments service can use, by the name PAYMENT_GATEWAY
 * gives. Adding one is a class implementing PaymentGateway and a line here
 * (or registerGateway() from a module loaded at start); the service does not
 * change.
 */
import type { GatewayFactory, GatewayOptions, PaymentGateway } from "./payment-gateway";
import { SimulatedGateway } from "./simulated-gateway";
import { ConfigError } from "../../platform/config-error";

const factories = new Map<string, GatewayFactory>([["simulated", (opts) => new SimulatedGateway(opts)]]);

export function registerGateway(name: string, factory: GatewayFactory): void {
  factories.set(name, factory);
}

export function gatewayNames(): string[] {
  return [...factories.keys()].sort();
}

/** Where the processor runs: production takes the simulated one only when told that no money is meant to move. */
export interface GatewayDeployment {
  production: boolean;
  simulatedPaymentsMoveNoMoney: boolean;
}

/** Throws at start on an unknown name, rather than on the first payment. */
export function createGateway(name: string, opts: GatewayOptions, deployment: GatewayDeployment = { production: false, simulatedPaymentsMoveNoMoney: false }): PaymentGateway {
  if (name === "simulated" && deployment.production && !deployment.simulatedPaymentsMoveNoMoney) {
    // Its test cards approve anything: a real shop on it would ship orders nobody paid for.
    throw new ConfigError('PAYMENT_GATEWAY is "simulated" in production: it approves payments without moving money. Choose a real processor, or set SIMULATED_PAYMENTS_MOVE_NO_MONEY=true for a demo.');
  }
  const factory = factories.get(name);
  if (!factory) throw new Error(`Unknown payment gateway "${name}" (PAYMENT_GATEWAY); known: ${gatewayNames().join(", ")}`);
  return factory(opts);
}
