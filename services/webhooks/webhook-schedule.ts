/**
 * When a failed delivery is tried again. The schedule (WEBHOOKS_RETRY_SCHEDULE)
 * lists the delay before each retry; after the last one the delivery is dead.
 * Each delay is shortened by up to a quarter at random (jitter), so the
 * retries of many deliveries failing together (a receiver that was down)
 * spread out instead of arriving at once, and the whole schedule never takes
 * longer than its sum.
 */

/** Share of a delay the jitter may take off. */
export const JITTER = 0.25;

/**
 * The delay before the next attempt after `attempts` attempts failed, ms, or
 * null when the schedule is used up. `random` in [0, 1).
 */
export function retryDelay(attempts: number, scheduleMs: readonly number[], random: () => number = Math.random): number | null {
  const base = scheduleMs[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - JITTER * random()));
}
