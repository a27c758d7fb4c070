/**
 * What ends a token before it expires (docs/security.md, "Tokens"): the
 * user's token version, raised by a password change and by "log out
 * everywhere", and a short list of single tokens logged out. Both are on the
 * user's document, which every token resolution reads anyway.
 */
import type { AuthUser } from "../../types/moleculer";

/** Broadcast when tokens of a user stop, so gateways drop them from their caches at once. */
export const TOKENS_REVOKED_EVENT = "users.tokensRevoked";

/**
 * Single logouts listed on a user at most; one more ends every token instead
 * (a new version), which also empties the list. Keeps the document small
 * whatever a client does.
 */
export const REVOKED_TOKENS_KEPT = 50;

export interface RevokedToken {
  id: string;
  /** Epoch seconds: after this the token is refused anyway. */
  exp: number;
}

export function tokenVersionOf(doc: Record<string, unknown>): number {
  return typeof doc.tokenVersion === "number" ? doc.tokenVersion : 0;
}

export function isRevoked(doc: Record<string, unknown>, tokenId: string): boolean {
  return Array.isArray(doc.revokedTokens) && (doc.revokedTokens as RevokedToken[]).some((revoked) => revoked.id === tokenId);
}

export function revocationOf(caller: AuthUser): RevokedToken {
  return { id: caller.tokenId as string, exp: caller.tokenExpiresAt ?? 0 };
}
