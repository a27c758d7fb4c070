/**
 * A NeDB datafile whose last write was cut short by a crash
 * (platform/db/nedb-torn-tail.ts): the unfinished line goes, every complete
 * one stays, and the collection loads instead of being refused as corrupt.
 */
import fs from "node:fs";
import path from "node:path";
import { createAdapter, type DbAdapter } from "../../../platform/db/db-adapter";
import { dropTornTail } from "../../../platform/db/nedb-torn-tail";
import { makeTempDir, removeTempDir } from "../../support/temp-dirs";

let dataDir: string;
beforeEach(() => {
  dataDir = makeTempDir("nedb-torn-");
});
afterEach(() => removeTempDir(dataDir));

const file = (name: string) => path.join(dataDir, name);

describe("dropTornTail", () => {
  it("cuts an unfinished last line and leaves complete lines alone", () => {
    fs.writeFileSync(file("a.db"), '{"_id":"1"}\n{"_id":"2"}\n{"_id":"3","na');
    expect(dropTornTail(file("a.db"))).toBe('{"_id":"3","na'.length);
    expect(fs.readFileSync(file("a.db"), "utf8")).toBe('{"_id":"1"}\n{"_id":"2"}\n');
    expect(dropTornTail(file("a.db"))).toBe(0);
    expect(fs.readFileSync(file("a.db"), "utf8")).toBe('{"_id":"1"}\n{"_id":"2"}\n');
  });

  it("empties a file whose only line is unfinished, and leaves a missing or empty file be", () => {
    fs.writeFileSync(file("b.db"), '{"_id":"1","x":');
    expect(dropTornTail(file("b.db"))).toBe(15);
    expect(fs.readFileSync(file("b.db"), "utf8")).toBe("");
    expect(dropTornTail(file("b.db"))).toBe(0);
    expect(dropTornTail(file("missing.db"))).toBe(0);
  });

  it("finds the last newline behind a line longer than its read chunk", () => {
    const long = `{"_id":"2","text":"${"x".repeat(200_000)}`;
    fs.writeFileSync(file("c.db"), `{"_id":"1"}\n${long}`);
    expect(dropTornTail(file("c.db"))).toBe(long.length);
    expect(fs.readFileSync(file("c.db"), "utf8")).toBe('{"_id":"1"}\n');
  });
});

describe("a file-backed collection after a crash mid-write", () => {
  async function connected(): Promise<DbAdapter> {
    const adapter = createAdapter({ collection: "orders", database: "orders" }, { mongoUri: undefined, nodeEnv: "production", dataDir });
    adapter.init({}, { schema: {} });
    await adapter.connect();
    return adapter;
  }

  it("loads every document written whole, though the cut line is over NeDB's 10% corruption threshold", async () => {
    const first = await connected();
    for (const n of [1, 2, 3, 4]) await first.insert({ _id: `o${n}`, n });
    await first.disconnect();
    // What a SIGKILL during the fifth insert leaves: part of its line, no newline.
    fs.appendFileSync(file("orders.db"), '{"_id":"o5","n":5,"crea');

    const again = await connected();
    try {
      const docs = await again.find({ query: {} });
      expect(docs.map((doc) => String(doc._id)).sort()).toEqual(["o1", "o2", "o3", "o4"]);
      await again.insert({ _id: "o6", n: 6 });
    } finally {
      await again.disconnect();
    }
    const reloaded = await connected();
    try {
      expect(await reloaded.count({ query: {} })).toBe(5);
    } finally {
      await reloaded.disconnect();
    }
  });

  it("loads the complete file when a compaction was cut short, and a finished compaction that was not yet renamed", async () => {
    const first = await connected();
    for (const n of [1, 2, 3]) await first.insert({ _id: `o${n}`, n });
    await first.disconnect();
    // NeDB compacts into "<file>~" and renames it over the file: killed before the rename, the copy is partial.
    fs.writeFileSync(file("orders.db~"), '{"_id":"o1","n":1}\n{"_id":"o2","n"');
    const again = await connected();
    try {
      expect((await again.find({ query: {} })).map((doc) => String(doc._id)).sort()).toEqual(["o1", "o2", "o3"]);
    } finally {
      await again.disconnect();
    }
    // Only the finished copy left (NeDB before 1.8 removed the file before its rename): the copy is the data.
    fs.renameSync(file("orders.db"), file("orders.db~"));
    const reloaded = await connected();
    try {
      expect((await reloaded.find({ query: {} })).map((doc) => String(doc._id)).sort()).toEqual(["o1", "o2", "o3"]);
    } finally {
      await reloaded.disconnect();
    }
  });
});
