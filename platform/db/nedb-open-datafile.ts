/**
 * NeDB (the storage without MONGO_URI) appends every write to its datafile
 * with fs.promises.appendFile: an open, a write and a close, three trips to
 * libuv's thread pool per insert, update or remove. In the checkout path
 * (some 30 writes per order) those trips were the largest single cost of the
 * nodes (bench/README.md). This keeps the datafile open in append mode
 * between writes instead and appends with one synchronous write: the same
 * lines, in the same order, with the same durability (NeDB never fsyncs an
 * append either).
 *
 * Why synchronous: an append of a line or two into the page cache is a
 * system call of ~2 µs, while a trip through the thread pool costs the
 * event loop 40-90 µs of CPU (queueing, the wake-up, the promise), measured
 * under the checkout load. The loop is held for the system call alone; a
 * disk so slow that page-cache writes block would stall the thread pool's
 * writes just the same, one datastore operation at a time.
 *
 * NeDB runs one operation of a datastore at a time (its executor), and every
 * append and every rewrite of the file happens inside one, so the descriptor
 * is never used by two at once. The file is reopened after NeDB rewrote it
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
  let fd: number | undefined;

  const close = async () => {
    const open = fd;
    fd = undefined;
    if (open !== undefined) fs.closeSync(open);
  };
  if (persistence.inMemoryOnly) return { close };

  const rewrite = persistence.persistCachedDatabaseAsync.bind(persistence);
  const drop = persistence.dropDatabaseAsync.bind(persistence);

  persistence.persistNewStateAsync = async (docs: unknown[]) => {
    let lines = "";
    for (const doc of docs) lines += `${persistence.afterSerialization(serialize(doc))}\n`;
    if (lines.length === 0) return;
    try {
      fd ??= fs.openSync(persistence.filename, "a", persistence.modes.fileMode);
      appendAll(fd, Buffer.from(lines, "utf8"));
    } catch (err) {
      // Opened afresh next time (the file may have been moved away meanwhile).
      await close().catch(() => undefined);
      throw err;
    }
  };
  // Both replace the file: a descriptor kept across would append to the old one.
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

/** A write may take part of the bytes (a signal, a full disk): the rest follows, or the error is thrown. */
function appendAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
}
