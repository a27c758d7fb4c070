/**
 * platform/retry.ts: exponential backoff with jitter, and which errors are retried.
 */
import { backoffDelay, retryWithBackoff } from "../../platform/retry";

const opts = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 };
const noSleep = () => Promise.resolve();

describe("backoffDelay", () => {
  it("doubles per retry, half fixed and half random", () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((n) => backoffDelay(n, opts, () => 1))).toEqual([100, 200, 400]);
  });

  it("never waits longer than the maximum", () => {
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
    expect(backoffDelay(10, opts, () => 0)).toBe(500);
  });

  it("spreads callers that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, opts)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe("retryWithBackoff", () => {
  const transient = new Error("flaky");

  it("succeeds once an attempt succeeds, after waiting before each retry", async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 3) throw transient;
        return "ok";
      },
      { ...opts, isRetryable: () => true, random: () => 1, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it("gives up after the retries with the last error", async () => {
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw new Error(`failure ${calls}`);
    };
    await expect(retryWithBackoff(attempt, { ...opts, isRetryable: () => true, sleep: noSleep })).rejects.toThrow("failure 4");
    expect(calls).toBe(4);
  });

  it("throws an error it may not retry at once", async () => {
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw new Error("final");
    };
    await expect(retryWithBackoff(attempt, { ...opts, isRetryable: () => false, sleep: noSleep })).rejects.toThrow("final");
    expect(calls).toBe(1);
  });

  it("tells each retry to onRetry", async () => {
    const told: number[] = [];
    const attempt = async () => {
      throw transient;
    };
    await expect(
      retryWithBackoff(attempt, { ...opts, retries: 2, isRetryable: () => true, sleep: noSleep, onRetry: (_err, retry) => void told.push(retry) }),
    ).rejects.toBe(transient);
    expect(told).toEqual([1, 2]);
  });
});
