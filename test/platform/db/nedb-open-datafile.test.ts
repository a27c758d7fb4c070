/**
 * File-backed NeDB with its datafile kept open between writes
 * (platform/db/nedb-open-datafile.ts): whatever was written is what a fresh load
 * reads back, also across NeDB's rewrites of the file (compaction, load),
 * and the file is closed with the adapter.
 */
import fs from "node:fs";
import path from "node:path";
import { createAdapter, type DbAdapter } from "../../../platform/db/db-adapter";
import { makeTempDir, removeTempDir } from "../../support/temp-dirs";

let dataDir: string;
const open: DbAdapter[] = [];

async function connected(): Promise<DbAdapter> {
  const adapter = createAdapter({ collection: "ledger", database: "ledger" }, { mongoUri: undefined, nodeEnv: "production", dataDir });
  adapter.init({}, { schema: {} });
  await adapter.connect();
  open.push(adapter);
  return adapter;
}

async function disconnect(adapter: DbAdapter): Promise<void> {
  open.splice(open.indexOf(adapter), 1);
  await adapter.disconnect();
}

/** Open descriptors of this process on the datafile (Linux /proc). */
function descriptorsOnDatafile(): number {
  const file = path.join(dataDir, "ledger.db");
  return fs.readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

const db = (adapter: DbAdapter) => (adapter as unknown as { db: { compactDatafileAsync(): Promise<void> } }).db;

beforeEach(() => {
  dataDir = makeTempDir("nedb-open-datafile");
});

afterEach(async () => {
  for (const adapter of [...open]) await disconnect(adapter);
  await removeTempDir(dataDir);
});

describe("a file-backed NeDB datastore", () => {
  it("reads back after a reload exactly what inserts, updates and removes left", async () => {
    const adapter = await connected();
    await adapter.ensureIndexes([{ fields: ["sku"], unique: true }]);
    for (let i = 0; i < 50; i++) await adapter.insert({ _id: `id-${i}`, sku: `S-${i}`, stock: i });
    for (let i = 0; i < 50; i += 2) await adapter.updateOneWhere({ _id: `id-${i}` }, { $inc: { stock: 100 } });
    await adapter.removeMany({ _id: { $in: ["id-1", "id-3"] } });
    await disconnect(adapter);

    const reloaded = await connected();
    const docs = await reloaded.find({ sort: ["stock"] });
    expect(docs).toHaveLength(48);
    expect(await reloaded.findOne({ _id: "id-4" })).toMatchObject({ stock: 104 });
    expect(await reloaded.findOne({ _id: "id-5" })).toMatchObject({ stock: 5 });
    expect(await reloaded.findOne({ _id: "id-1" })).toBeNull();
    // The unique index came back with the data.
    await expect(reloaded.insert({ _id: "dup", sku: "S-7" })).rejects.toMatchObject({ errorType: "uniqueViolated" });
  });

  it("keeps every write made after NeDB rewrote the file (compaction)", async () => {
    const adapter = await connected();
    await adapter.insert({ _id: "a", n: 1 });
    await db(adapter).compactDatafileAsync();
    await adapter.insert({ _id: "b", n: 2 });
    await adapter.updateOneWhere({ _id: "a" }, { $set: { n: 10 } });
    await db(adapter).compactDatafileAsync();
    await adapter.updateOneWhere({ _id: "b" }, { $set: { n: 20 } });
    await disconnect(adapter);

    const lines = fs.readFileSync(path.join(dataDir, "ledger.db"), "utf8").trim().split("\n");
    // The compacted state, then the one update since.
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { _id: "a", n: 10 },
      { _id: "b", n: 2 },
      { _id: "b", n: 20 },
    ]);
    const reloaded = await connected();
    expect(await reloaded.find({ sort: ["n"] })).toEqual([expect.objectContaining({ n: 10 }), expect.objectContaining({ n: 20 })]);
  });

  it("holds the file open between writes and closes it with the adapter", async () => {
    const adapter = await connected();
    await adapter.insert({ _id: "a" });
    await adapter.insert({ _id: "b" });
    expect(descriptorsOnDatafile()).toBe(1);
    await disconnect(adapter);
    expect(descriptorsOnDatafile()).toBe(0);
  });
});
