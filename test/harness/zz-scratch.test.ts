import fs from "node:fs";
import path from "node:path";
import { startCluster } from "../support/cluster";
import { startNatsServer } from "../support/nats-server";
import { startRedisServer } from "../support/redis-server";
const fixture = { root: path.join(__dirname, "fixtures", "cluster-project"), configFile: "moleculer.config.js", serviceDir: "services" };
test("leak on purpose", async () => {
  const nats = await startNatsServer();
  const redis = await startRedisServer();
  try {
    await startCluster({ transporter: nats.url, project: fixture, nodes: [{ services: ["echo"] }, { services: ["crash"] }] });
  } catch (err) { console.warn(String(err)); }
  const c = await startCluster({ transporter: nats.url, project: fixture, nodes: [{ services: ["echo", "api"] }] });
  fs.writeFileSync("/tmp/leaked.json", JSON.stringify({ pids: [nats.pid, redis.pid, c.nodes[0].process.pid], dirs: [nats.dir, redis.dir, c.nodes[0].dataDir] }));
});
