/**
 * `npm run repl`: a node with no services that joins a running cluster
 * through TRANSPORTER and opens Moleculer's REPL (nodes, services, call, ...).
 * The embedded `npm run dev` process has a REPL of its own.
 */
import os from "node:os";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { loadConfig } from "../platform/config";

async function main(): Promise<void> {
  const cfg = loadConfig();
  if (!cfg.transporter) {
    console.error("npm run repl joins a cluster: set TRANSPORTER, e.g. TRANSPORTER=nats://127.0.0.1:4222 npm run repl");
    process.exit(2);
  }
  const broker = new ServiceBroker({
    // A REPL node serves no metrics port of its own: it would clash with the node beside it.
    ...brokerOptions({ ...cfg, metricsPort: 0, logLevel: cfg.logLevel === "info" ? "warn" : cfg.logLevel }),
    nodeID: `repl-${os.hostname()}-${process.pid}`,
  });
  await broker.start();
  broker.repl();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
