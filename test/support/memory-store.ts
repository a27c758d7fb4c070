/**
 * A collection of the embedded store in memory (NeDB, NODE_ENV=test), bound
 * to no service, connected and indexed: for tests of one store class alone.
 * Disconnect it after the test.
 */
import { createAdapter, type DbAdapter, type IndexSpec } from "../../platform/db/db-adapter";

export async function memoryStore(collection: string, indexes: IndexSpec[]): Promise<DbAdapter> {
  const store = createAdapter({ collection, database: "test" }, { mongoUri: undefined, nodeEnv: "test", dataDir: "." });
  store.init(null, { schema: {} });
  await store.connect();
  await store.ensureIndexes(indexes);
  return store;
}
