/**
 * B2 and B3: moleculer-web routing to a trivial action, with none of the
 * platform's gateway logic. ROLE=both: gateway and action in one broker (B2);
 * ROLE=gateway / ROLE=service: the two halves on two nodes over TRANSPORTER (B3).
 */
import { ServiceBroker, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";

const role = process.env.ROLE ?? "both";
const broker = new ServiceBroker({
  namespace: process.env.NAMESPACE ?? "bench",
  nodeID: `bare-${role}-${process.pid}`,
  transporter: (process.env.TRANSPORTER || null) as "NATS" | null,
  logger: false,
});

if (role !== "gateway") {
  broker.createService({
    name: "trivial",
    actions: { get: { handler: () => ({ id: "b2", name: "Baseline", price: 1999, currency: "USD" }) } },
  });
}
if (role !== "service") {
  broker.createService({
    name: "gateway",
    mixins: [ApiGateway as unknown as Partial<ServiceSchema>],
    settings: {
      port: Number(process.env.PORT),
      ip: "127.0.0.1",
      routes: [{ path: "/api", mappingPolicy: "restrict", aliases: { "GET /trivial": "trivial.get" } }],
      logRequest: false,
      logResponse: false,
    },
  } as ServiceSchema);
}

broker
  .start()
  .then(() => (role === "gateway" ? broker.waitForServices(["trivial"], 30_000) : undefined))
  .then(() => process.send?.("ready"));
process.on("SIGTERM", () => void broker.stop().then(() => process.exit(0)));
