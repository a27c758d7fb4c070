import { errorMessage } from "./error-message";

export interface WaitOptions {
  /**
   * What is being waited for, as the end of "Timed out after N ms waiting for
   * ...". A function is asked at the timeout, so it can say what was seen last.
   */
  description: string | (() => string);
  timeoutMs: number;
  intervalMs?: number;
  /**
   * Checked before each attempt: an error returned here ends the wait at once
   * (e.g. the process being waited on has exited), instead of letting the
   * caller sit out the whole timeout.
   */
  failFast?: () => Error | undefined;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns true. A check that throws counts as "not
 * yet" (a server that is still starting refuses connections); its last error
 * is quoted in the timeout message because it is usually the real reason.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const { description, timeoutMs, intervalMs = 100, failFast } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const fatal = failFast?.();
    if (fatal) throw fatal;
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? "" : ` (last attempt: ${errorMessage(lastError)})`;
      const what = typeof description === "function" ? description() : description;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** `promise`, or a rejection naming `description` once `timeoutMs` has passed. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, description: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
