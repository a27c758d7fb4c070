/**
 * The message of anything thrown. Duck-typed rather than `instanceof Error`:
 * under jest, errors raised by Node itself (fetch, net) come from another
 * realm than the test's Error class and fail that check.
 */
export function errorMessage(err: unknown): string {
  if (typeof err === "object" && err !== null && "message" in err && typeof err.message === "string") return err.message;
  return String(err);
}

/** The message of `err.cause`, if it has one: fetch's own message is only "fetch failed". */
export function causeMessage(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("cause" in err) || err.cause === undefined) return undefined;
  return errorMessage(err.cause);
}
