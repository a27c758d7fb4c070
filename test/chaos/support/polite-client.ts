/**
 * What a well-behaved client does with a 503 that says nothing was done (the
 * gateway's admission control shed the request, or no node of the service was
 * there): it waits the Retry-After the answer names and sends the same request
 * again. Storm and overload scenarios fill carts and check out through this,
 * so that a shed request is a delay the scenario reports, not a failure of
 * its setup; any other answer, 5xx included, is the caller's to judge.
 */
import type { ApiResponse } from "../../support/http";
import { sleep } from "../../../platform/sleep";

/** The 503 types after which resending cannot do anything twice. */
const NOTHING_DONE = new Set(["OVERLOADED", "SERVICE_UNAVAILABLE"]);

export interface Admitted<T> {
  res: ApiResponse<T>;
  /** 503s answered before it. */
  shed: number;
}

export async function untilAdmitted<T>(send: () => Promise<ApiResponse<T>>, opts: { deadlineMs: number }): Promise<Admitted<T>> {
  const deadline = Date.now() + opts.deadlineMs;
  for (let shed = 0; ; shed++) {
    const res = await send();
    const type = (res.body as { type?: unknown } | null)?.type;
    if (res.status !== 503 || typeof type !== "string" || !NOTHING_DONE.has(type) || Date.now() >= deadline) return { res, shed };
    const retryAfterSec = Number(res.headers.get("retry-after") ?? "1");
    // Spread over the second the gateway named, so that the shed ones do not come back as one block.
    await sleep(Math.min(deadline - Date.now(), (Number.isFinite(retryAfterSec) ? retryAfterSec : 1) * 1000 * (0.5 + Math.random())));
  }
}
