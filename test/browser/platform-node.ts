/**
 * A live platform node of the build for browser tests: every service in one
 * process (or those named), in-memory data (NODE_ENV=test), serving web/dist,
 * ready once GET /api/health/ready answers 200. The global setup starts the
 * shared one; specs that need settings of their own (a failing mail server,
 * FAULT_INJECTION, a real NATS) start theirs (own-platform.ts).
 */
import path from "node:path";
import { startNode, type ClusterNode } from "../support/cluster";
import { waitUntil } from "../support/wait-until";
import { platformServiceNames } from "../../services/api/platform-services";

const ROOT = path.resolve(__dirname, "..", "..");

export interface PlatformNodeOptions {
  namespace: string;
  name: string;
  /** "" (the default): embedded, no transporter. */
  transporter?: string;
  /** Below the harness's settings for browser tests' nodes; above them `env`. */
  env?: Record<string, string>;
}

export async function startPlatformNode({ namespace, name, transporter = "", env = {} }: PlatformNodeOptions): Promise<ClusterNode> {
  const node = await startNode({
    services: platformServiceNames(path.join(ROOT, "services")),
    transporter,
    namespace,
    name,
    env: { LOG_LEVEL: "warn", AUTH_RATE_LIMIT: "100000", WEB_DIR: path.join(ROOT, "web/dist"), ...env },
  });
  let status = 0;
  try {
    await waitUntil(
      async () => {
        status = (await fetch(`${node.url}/api/health/ready`)).status;
        return status === 200;
      },
      {
        description: () => `the platform at ${node.url} to be ready (last answer ${status}); its log:\n${node.output.tail(30)}`,
        timeoutMs: 60_000,
        intervalMs: 200,
        failFast: () => (node.exitInfo() ? new Error(`The platform node exited:\n${node.output.tail(30)}`) : undefined),
      },
    );
  } catch (err) {
    await node.stop("SIGKILL");
    throw err;
  }
  return node;
}
