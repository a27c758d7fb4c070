import { randomBytes } from "node:crypto";
import type { congodb } from "@push.rocks/smartmongo";
import { freePort } from "./ports";

export interface TestMongo {
  /** Connection string whose path names `dbName`. */
  uri: string;
  /** Unique per startMongo() call, so suites sharing one real Mongo do not see each other's data. */
  dbName: string;
  /** true: the in-process CongoDB emulator; false: the real Mongo of MONGO_URI. */
  emulated: boolean;
  stop(): Promise<void>;
}

type CongoServer = InstanceType<typeof congodb.CongoServer>;
type SmartMongoModule = { congodb: typeof congodb };

/**
 * Where a suite's Mongo tests run, for the names of tests of concurrent
 * writes: the emulator serves one command at a time, so there such a test
 * shows that the conditional update is right, not that it holds under
 * MongoDB's real concurrency.
 */
export const MONGO_UNDER_TEST = process.env.MONGO_URI ? "on MongoDB" : "on the single-threaded emulator, whose updates never interleave";

/**
 * A Mongo for one suite: the real one of MONGO_URI when set, else a CongoDB
 * emulator (MongoDB wire protocol, memory storage) in this process. The
 * emulator's limits are in test/README.md: tests of unique indexes, $text
 * or atomic file writes must not rely on it.
 */
export async function startMongo(): Promise<TestMongo> {
  const dbName = `test_${randomBytes(6).toString("hex")}`;
  const external = process.env.MONGO_URI;
  if (external) {
    // Nothing to close: the harness opens no connection of its own, and the
    // database is left in place for inspection (names start with "test_").
    return { uri: withDatabase(external, dbName), dbName, emulated: false, stop: async () => {} };
  }
  const server = await startCongo();
  return {
    uri: `mongodb://127.0.0.1:${server.port}/${dbName}`,
    dbName,
    emulated: true,
    stop: () => server.stop(),
  };
}

const PORT_ATTEMPTS = 3;

async function startCongo(): Promise<CongoServer> {
  const { congodb: congo } = loadSmartMongo();
  for (let attempt = 1; ; attempt++) {
    // A fresh instance per attempt: a failed listen leaves the old one half set up.
    const server = new congo.CongoServer({ port: await freePort(), host: "127.0.0.1", storage: "memory" });
    try {
      await server.start();
      return server;
    } catch (err) {
      const inUse = (err as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (!inUse || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/**
 * @push.rocks/smartmongo is an ES module. Node 24's own require() loads it,
 * but jest's module loader (which provides `require` in tests) cannot, so it
 * is loaded through a require created from Node's real `module` builtin.
 */
function loadSmartMongo(): SmartMongoModule {
  const nodeRequire = process.getBuiltinModule("node:module").createRequire(__filename);
  return nodeRequire("@push.rocks/smartmongo") as SmartMongoModule;
}

/**
 * `uri` with its database path replaced by `dbName`. The path database is
 * also Mongo's default authSource, so when the URI carries credentials the
 * original auth database is pinned explicitly before the path changes.
 * Not parsed with URL: Mongo URIs may list several hosts.
 */
export function withDatabase(uri: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(uri);
  if (!match) throw new Error(`MONGO_URI is not a mongodb:// or mongodb+srv:// URI: ${uri}`);
  const [, scheme, authority, path = "", query = ""] = match;
  const params = query ? query.split("&") : [];
  const hasCredentials = authority.includes("@");
  if (hasCredentials && !params.some((p) => p.toLowerCase().startsWith("authsource="))) {
    params.push(`authSource=${path || "admin"}`);
  }
  return `${scheme}${authority}/${dbName}${params.length ? `?${params.join("&")}` : ""}`;
}
