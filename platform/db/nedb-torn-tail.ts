/**
 * A process killed while it appended to a NeDB datafile (SIGKILL, power
 * loss) can leave the last line cut short: the write that was under way, one
 * whose caller never got an answer. NeDB counts such a line as corrupt and,
 * when corrupt lines are over 10% of the file (any small collection: one
 * line in a file of nine), refuses to load it, and the node does not start.
 *
 * The cut line is removed before NeDB loads the file. Only a tail without
 * its newline is touched: every complete line (NeDB ends each with "\n",
 * platform/db/nedb-open-datafile.ts) stays as it was, so a line that is
 * corrupt for another reason still counts against NeDB's threshold. A
 * compaction cut short needs nothing here: NeDB writes it to `<file>~` and
 * renames it over the file only once it is complete (and flushed).
 */
import fs from "node:fs";

/** Cuts an unfinished last line off `filename`; answers how many bytes went (0: none, or no file). */
export function dropTornTail(filename: string): number {
  let fd: number;
  try {
    fd = fs.openSync(filename, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return 0;
    const newline = 0x0a;
    const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
    let end = size;
    // Back from the end to the last newline; a line is rarely long, but read in chunks for any length.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const read = fs.readSync(fd, chunk, 0, end - start, start);
      const at = chunk.subarray(0, read).lastIndexOf(newline);
      if (at !== -1) {
        const keep = start + at + 1;
        if (keep === size) return 0;
        fs.ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    fs.ftruncateSync(fd, 0);
    return size;
  } finally {
    fs.closeSync(fd);
  }
}
