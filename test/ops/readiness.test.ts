/**
 * Readiness reflects the gateway's link to the cluster: with the private
 * nats-server killed, a gateway (a node process of the built project) answers
 * 503 on /api/health/ready with its transporter reported down, and 200 again
 * once NATS is back and the nodes have found each other again. (No node for a
 * route's service is covered in test/cluster.)
 */
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { startCluster, type Cluster } from "../support/cluster";
import { api, type ApiResponse } from "../support/http";
import { waitUntil } from "../support/wait-until";
import { assertFreshBuild, platformNodes, testedBuild } from "./ops-support";

interface Report {
  ready: boolean;
  transporter: string;
  missing: string[];
}

describe("readiness when the NATS link drops", () => {
  let nats: NatsServer;
  let cluster: Cluster;
  let last: ApiResponse<Report> | undefined;
  const ready = async () => (last = await api(`${cluster.gatewayUrl}/api`).get<Report>("/health/ready"));

  beforeAll(async () => {
    assertFreshBuild();
    nats = await startNatsServer();
    cluster = await startCluster({ project: testedBuild(), transporter: nats.url, env: { LOG_LEVEL: "warn" }, readyPath: "/api/health/ready", nodes: platformNodes() });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await nats?.stop();
  });

  it("answers 503 while NATS is down, and 200 once it is back", async () => {
    expect((await ready()).status).toBe(200);

    await nats.kill();
    await waitUntil(async () => (await ready()).status === 503, { description: "readiness to answer 503", timeoutMs: 15_000 });
    expect(last?.body).toMatchObject({ ready: false, transporter: "disconnected" });

    await nats.restart();
    await waitUntil(async () => (await ready()).status === 200, {
      description: `readiness to answer 200 again (last: ${JSON.stringify(last?.body)})`,
      timeoutMs: 30_000,
    });
    expect(last?.body).toMatchObject({ ready: true, transporter: "connected", missing: [] });
  });
});
