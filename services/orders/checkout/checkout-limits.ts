/**
 * Limits on checkout attempts (docs/api.md "Rate limits"; docs/security.md):
 * with a real processor behind it, an unlimited checkout is a free service
 * for testing stolen cards. Per user, attempts in a window; per user and per
 * card, declines in a window. Attempts are claimed atomically before the
 * saga runs, so concurrent requests cannot all pass one count.
 *
 * A card is known by brand, last four and expiry, never by its number (as
 * checkout-fingerprint.ts explains): two cards alike in all four share a
 * count, which only makes the limit stricter.
 */
import { cardBrand, last4 } from "../../../contracts/card";
import type { WindowCounters } from "../../../platform/window-counters";

export interface CheckoutLimit {
  /** Checkouts one user may start in a window... */
  maxAttempts: number;
  /** ...declined payments one user, or one card, may have in a window... */
  maxDeclines: number;
  /** ...of this many seconds from the first. */
  windowSec: number;
}

export interface LimitedCard {
  cardNumber: string;
  expMonth: number;
  expYear: number;
}

/** Seconds until the checkout may be tried again, and which limit was reached. */
export class CheckoutRefused extends Error {
  constructor(
    readonly retryAfterSec: number,
    readonly limit: "attempts" | "declines",
  ) {
    super(limit === "attempts" ? "Too many checkout attempts, try again later" : "Too many declined payments, try again later");
  }
}

const cardKey = (card: LimitedCard) => `card\n${cardBrand(card.cardNumber)}\n${last4(card.cardNumber)}\n${card.expMonth}/${card.expYear}`;
const userKey = (kind: string, userId: string) => `${kind}\nuser\n${userId}`;

export class CheckoutLimiter {
  constructor(
    private readonly counters: WindowCounters,
    readonly limit: CheckoutLimit,
  ) {}

  /** Throws CheckoutRefused when the user or the card is over a limit; otherwise counts the attempt. */
  async admit(userId: string, card: LimitedCard): Promise<void> {
    const { maxAttempts, maxDeclines, windowSec } = this.limit;
    const [byUser, byCard] = await Promise.all([this.counters.get(userKey("declines", userId)), this.counters.get(cardKey(card))]);
    const declines = [byUser, byCard].filter((count) => count.count >= maxDeclines);
    if (declines.length > 0) throw new CheckoutRefused(Math.max(...declines.map((count) => count.resetsInSec)), "declines");
    const attempts = await this.counters.increment(userKey("attempts", userId), windowSec);
    if (attempts.count > maxAttempts) throw new CheckoutRefused(attempts.resetsInSec, "attempts");
  }

  /** The processor declined the card: it counts for the user and for the card. */
  async declined(userId: string, card: LimitedCard): Promise<void> {
    const { windowSec } = this.limit;
    await Promise.all([this.counters.increment(userKey("declines", userId), windowSec), this.counters.increment(cardKey(card), windowSec)]);
  }

  close(): Promise<void> {
    return this.counters.close();
  }
}
