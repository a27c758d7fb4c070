/**
 * A bounded closed-loop load for chaos scenarios: `concurrency` workers send
 * one request after another until the time is up, and every outcome is kept
 * (status, latency, when), so a test can look at the window of a fault.
 */

export interface Outcome {
  /** HTTP status, or 0 when the request itself failed (refused, reset, timed out). */
  status: number;
  latencyMs: number;
  /** ms since the load started. */
  startedAt: number;
  error?: string;
}

export interface LoadResult {
  outcomes: Outcome[];
  requests: number;
  /** Outcomes that `ok` rejected. */
  failures: Outcome[];
  p99Ms: number;
  statusCounts: Record<string, number>;
}

export interface LoadOptions {
  durationMs: number;
  concurrency: number;
  /** One request; answers the HTTP status (throws on a transport failure). */
  request: (worker: number, n: number) => Promise<number>;
  /** Which statuses count as a success; default 2xx. */
  ok?: (status: number) => boolean;
  /** Called once, `atMs` after the start (the fault). */
  during?: { atMs: number; run: () => Promise<unknown> };
  /**
   * Keeps the load going past `durationMs` until `done()` (checked before each request), but never past
   * `maxMs`: for a scenario that needs requests after an event whose time a loaded machine stretches.
   */
  extendUntil?: { done: () => boolean; maxMs: number };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index];
}

export function summarize(outcomes: Outcome[], ok: (status: number) => boolean = (s) => s >= 200 && s < 300): LoadResult {
  const statusCounts: Record<string, number> = {};
  for (const o of outcomes) statusCounts[String(o.status)] = (statusCounts[String(o.status)] ?? 0) + 1;
  return {
    outcomes,
    requests: outcomes.length,
    failures: outcomes.filter((o) => !ok(o.status)),
    p99Ms: Math.round(percentile(outcomes.map((o) => o.latencyMs), 0.99)),
    statusCounts,
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  const start = Date.now();
  const deadline = start + options.durationMs;
  const extension = options.extendUntil;
  const goOn = () => {
    const now = Date.now();
    if (now < deadline) return true;
    return extension !== undefined && now < start + extension.maxMs && !extension.done();
  };
  let fault: Promise<unknown> = Promise.resolve();
  let faultError: unknown;
  const timer = options.during
    ? setTimeout(() => {
        fault = options.during!.run().catch((err: unknown) => {
          faultError = err;
        });
      }, options.during.atMs)
    : undefined;

  const worker = async (w: number) => {
    for (let n = 0; goOn(); n++) {
      const startedAt = Date.now();
      try {
        const status = await options.request(w, n);
        outcomes.push({ status, latencyMs: Date.now() - startedAt, startedAt: startedAt - start });
      } catch (err) {
        outcomes.push({ status: 0, latencyMs: Date.now() - startedAt, startedAt: startedAt - start, error: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  } finally {
    if (timer) clearTimeout(timer);
  }
  await fault;
  if (faultError) throw faultError;
  return summarize(outcomes, options.ok);
}
