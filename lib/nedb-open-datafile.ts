/**
 * NeDB (the storage without MONGO_URI) appends every write to its datafile
 * with fs.promises.appendFile: an open, a write and a close, three trips to
 * libuv's thread pool per insert, update or remove. In the checkout path
 * (some 30 writes per order) those trips were the largest single cost of the
 * nodes (bench/README.md). This keeps the datafile open in append mode
 * between writes instead: the same lines, in the same order, with the same
 * durability (NeDB never fsyncs an append either), one write per operation.
 *
 * NeDB runs one operation of a datastore at a time (its executor), and every
 * append and every rewrite of the file happens inside one, so the handle is
 * never used by two at once. The file is reopened after NeDB rewrote it
 * (compaction, also at load) or deleted it (drop), and closed by `close()`.
 */
import fs from "node:fs";

/** The parts of NeDB's Persistence this replaces or watches (@seald-io/nedb 3.x, lib/persistence.js). */
interface Persistence {
  filename: string;
  inMemoryOnly: boolean;
  modes: { fileMode: number };
  afterSerialization(line: string): string;
  persistNewStateAsync(docs: unknown[]): Promise<void>;
  persistCachedDatabaseAsync(): Promise<void>;
  dropDatabaseAsync(): Promise<void>;
}

// NeDB's own line format (the one its loader reads back); the package has no typings.
const { serialize } = require("@seald-io/nedb/lib/model") as { serialize(doc: unknown): string };

export interface OpenDatafile {
  /** Closes the file; a later write opens it again. */
  close(): Promise<void>;
}

export function keepDatafileOpen(datastore: { persistence: Persistence }): OpenDatafile {
  const persistence = datastore.persistence;
  let handle: Promise<fs.promises.FileHandle> | undefined;

  const close = async () => {
    const open = handle;
    handle = undefined;
    if (open) await (await open.catch(() => undefined))?.close();
  };
  if (persistence.inMemoryOnly) return { close };

  const rewrite = persistence.persistCachedDatabaseAsync.bind(persistence);
  const drop = persistence.dropDatabaseAsync.bind(persistence);

  persistence.persistNewStateAsync = async (docs: unknown[]) => {
    let lines = "";
    for (const doc of docs) lines += `${persistence.afterSerialization(serialize(doc))}\n`;
    if (lines.length === 0) return;
    handle ??= fs.promises.open(persistence.filename, "a", persistence.modes.fileMode);
    try {
      await (await handle).appendFile(lines, "utf8");
    } catch (err) {
      // Opened afresh next time (the file may have been moved away meanwhile).
      await close();
      throw err;
    }
  };
  // Both replace the file: a handle kept across would append to the old one.
  persistence.persistCachedDatabaseAsync = async () => {
    await close();
    await rewrite();
  };
  persistence.dropDatabaseAsync = async () => {
    // After the operations under way (drop waits for them) and the file's removal.
    await drop();
    await close();
  };
  return { close };
}
