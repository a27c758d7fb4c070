/**
 * An embedded platform inside the test process: one local broker (no
 * transporter) with the given services and, when asked, the gateway on a
 * free port. For unit suites of a service and HTTP suites of its routes.
 */
import type { AddressInfo } from "node:net";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";
import ApiService from "../../services/api/api.service";
import { waitUntil } from "./wait-until";

export interface LocalPlatform {
  broker: ServiceBroker;
  /** http://127.0.0.1:<port> of the gateway, when started with `gateway: true`. */
  baseUrl: string;
  stop(): Promise<void>;
}

function publishedRestActions(schema: ServiceSchema): string[] {
  return Object.entries(schema.actions ?? {})
    .filter(([, action]) => typeof action === "object" && action.rest && (action.visibility ?? "published") === "published")
    .map(([name]) => `${schema.name}.${name}`);
}

export async function startLocalPlatform(opts: {
  services: ServiceSchema<any, any, any>[];
  gateway?: boolean;
  /** Extra settings merged into the gateway's (e.g. rate limits for a test). */
  gatewaySettings?: Record<string, unknown>;
  logLevel?: string;
}): Promise<LocalPlatform> {
  const options = brokerOptions({ ...loadConfig({ ...process.env, NODE_ENV: "test", METRICS_PORT: "0" }), transporter: undefined, nodeID: undefined });
  const broker = new ServiceBroker({
    ...options,
    nodeID: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    logger: opts.logLevel ? { type: "Console", options: { level: opts.logLevel, colors: false, formatter: "short" } } : false,
  });
  for (const schema of opts.services) broker.createService(schema);
  const gateway = opts.gateway
    ? broker.createService({ name: "api", mixins: [ApiService], settings: { port: 0, ip: "127.0.0.1", ...(opts.gatewaySettings ?? {}) } } as ServiceSchema)
    : undefined;
  await broker.start();
  let baseUrl = "";
  if (gateway) {
    const web = gateway as unknown as { server: { address(): AddressInfo }; aliases: { action?: string }[] };
    baseUrl = `http://127.0.0.1:${web.server.address().port}`;
    // moleculer-web builds its routes a moment after the services register.
    const expected = [ApiService as ServiceSchema, ...opts.services].flatMap(publishedRestActions);
    await waitUntil(() => expected.every((name) => web.aliases.some((alias) => alias.action === name)), {
      description: `gateway routes for ${expected.join(", ")}`,
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  }
  return { broker, baseUrl, stop: () => broker.stop() };
}
