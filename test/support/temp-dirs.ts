import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { onProcessExit } from "./exit-cleanup";

const unregisterByDir = new Map<string, () => void>();

/** A fresh directory under the OS temp dir, removed at process exit if nobody removed it before. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `shop-test-${prefix}-`));
  unregisterByDir.set(
    dir,
    onProcessExit(() => fs.rmSync(dir, { recursive: true, force: true })),
  );
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  // Retries cover a process that is still closing files when it is told to go.
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  unregisterByDir.get(dir)?.();
  unregisterByDir.delete(dir);
}
