/**
 * Retries with exponential backoff and jitter, for calls to something outside
 * the cluster (a payment processor) that fails now and then for a moment.
 *
 * Jitter spreads the retries of many callers that failed at the same instant,
 * so they do not hit the recovering service again all at once. "Equal
 * jitter": half of each delay is fixed, half random, so a retry never comes
 * back immediately but two callers rarely come back together.
 */
import { sleep } from "./sleep";

export interface BackoffOptions {
  /** Retries after the first attempt (0: try once). */
  retries: number;
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** No delay is longer than this. */
  maxDelayMs: number;
  /** Growth per retry; 2 doubles. */
  factor?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Only errors this accepts are retried; any other is thrown at once. */
  isRetryable(err: unknown): boolean;
  /** Told before each wait (for logs and metrics). */
  onRetry?(err: unknown, retry: number, delayMs: number): void;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The wait before retry number `retry` (1 for the first retry), in whole ms. */
export function backoffDelay(retry: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const factor = opts.factor ?? 2;
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * factor ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Runs `attempt` until it succeeds, a non-retryable error comes, or the retries are used up (the last error is thrown). */
export async function retryWithBackoff<T>(attempt: (attemptNumber: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const wait = opts.sleep ?? sleep;
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry + 1);
    } catch (err) {
      if (retry >= opts.retries || !opts.isRetryable(err)) throw err;
      const delay = backoffDelay(retry + 1, opts, opts.random);
      opts.onRetry?.(err, retry + 1, delay);
      await wait(delay);
    }
  }
}
