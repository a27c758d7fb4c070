import { PrivateServer } from "./private-server";
import { tcpProbe } from "./tcp-probe";

export type NatsServer = PrivateServer;

/**
 * A private nats-server with JetStream, storing under its own temp dir.
 * `url` is nats://127.0.0.1:<port>; restart() keeps port and JetStream data.
 */
export function startNatsServer(opts: { user?: string; password?: string } = {}): Promise<NatsServer> {
  // With a user, the server refuses every client without its password (as compose and k8s run it).
  const auth = opts.user ? ["--user", opts.user, "--pass", opts.password ?? ""] : [];
  return PrivateServer.start({
    command: "nats-server",
    scheme: "nats",
    args: (port, dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir, ...auth],
    // NATS greets every client with INFO; it only accepts clients once JetStream is up.
    isReady: (port) => tcpProbe({ port, expect: /^INFO /m }),
  });
}
