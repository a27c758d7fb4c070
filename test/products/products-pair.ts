/**
 * Two `products` nodes of the built project (`npm run build` first) on a
 * private NATS, sharing one MongoDB: the real one of MONGO_URI, else the
 * CongoDB emulator (test/README.md). For suites of what several products
 * nodes must agree on (stock, caches, search indexes).
 */
import { assertFreshBuild } from "../support/fresh-build";
import { startCluster, type Cluster } from "../support/cluster";
import { startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";

export interface ProductsPair {
  mongo: TestMongo;
  cluster: Cluster;
  /** The two nodes' IDs. */
  nodes: [string, string];
  stop(): Promise<void>;
}

/** `env` goes to both nodes, on top of MONGO_URI, SEED=false and no periodic reservation sweep. */
export async function startProductsPair(env: Record<string, string>): Promise<ProductsPair> {
  assertFreshBuild();
  let mongo: TestMongo | undefined;
  let nats: NatsServer | undefined;
  try {
    mongo = await startMongo();
    nats = await startNatsServer();
    const cluster = await startCluster({
      transporter: nats.url,
      env: { MONGO_URI: mongo.uri, SEED: "false", RESERVATION_SWEEP_INTERVAL: "0", ...env },
      nodes: [
        { services: ["products"], name: "products-a" },
        { services: ["products"], name: "products-b" },
      ],
    });
    const [a, b] = cluster.nodes.map((node) => node.nodeID);
    const [startedMongo, startedNats] = [mongo, nats];
    return {
      mongo,
      cluster,
      nodes: [a, b],
      async stop() {
        await cluster.stop();
        await startedNats.stop();
        await startedMongo.stop();
      },
    };
  } catch (err) {
    await nats?.stop();
    await mongo?.stop();
    throw err;
  }
}
