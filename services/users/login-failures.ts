/**
 * The login attempt policy (docs/api.md: login is rate limited; docs/security.md).
 */
import type { WindowCounters } from "../../platform/window-counters";

export interface LoginLimit {
  /** Login attempts one account may have in one window from addresses it was never used from... */
  maxFailures: number;
  /** ...of this many seconds, counted from its first attempt. The same limit holds per account and address. */
  windowSec: number;
  /** Days an address stays known to an account after a successful login from it. */
  knownAddressDays: number;
}

/** Why an attempt may not go on: the seconds until it may. */
export class AttemptRefused extends Error {
  constructor(readonly retryAfterSec: number) {
    super("Too many login attempts");
  }
}

const part = (account: string, address: string) => `${account}\n${address}`;

/**
 * The login policy (docs/security.md, "Login abuse"). An attempt is claimed
 * (counted) before the password is checked, in one atomic increment, so
 * concurrent guesses cannot all pass a count read before any was written.
 *
 * Two counters per attempt, both capped at `maxFailures` per window:
 * - per account and client address: one client guesses at most that often;
 * - per account, for addresses the account was never logged in from: a
 *   guesser rotating addresses still gets no more, in total.
 * An address becomes known to an account with a successful login from it
 * (or its registration) and stays so for `knownAddressDays`: the owner, from
 * where they usually log in, is not locked out by strangers' failures. Only
 * a client that already knows the password can make its address known.
 *
 * Accounts are keyed by the email as submitted (normalised), whether or not
 * it exists: a limit that only known emails reach would tell a guesser which
 * emails have accounts.
 */
export class LoginLimiter {
  constructor(
    private readonly store: WindowCounters,
    readonly limit: LoginLimit,
  ) {}

  /** Counts an attempt of `address` on `account`; throws AttemptRefused once a counter is over the limit. */
  async claim(account: string, address: string): Promise<void> {
    const { maxFailures, windowSec } = this.limit;
    const mine = await this.store.increment(part(account, address), windowSec);
    if (mine.count > maxFailures) throw new AttemptRefused(mine.resetsInSec);
    if (await this.knows(account, address)) return;
    const anyone = await this.store.increment(account, windowSec);
    if (anyone.count > maxFailures) throw new AttemptRefused(anyone.resetsInSec);
  }

  /** The password was right: this address's attempts are forgotten, and it is known to the account from now on. */
  async succeeded(account: string, address: string): Promise<void> {
    await Promise.all([this.store.reset(part(account, address)), this.remember(account, address)]);
  }

  /** A client that set the password (registration) is known like one that logged in. */
  remember(account: string, address: string): Promise<void> {
    // A counter that is there is a mark: each success renews its life.
    const key = part("known", part(account, address));
    return this.store.reset(key).then(() => this.store.increment(key, this.limit.knownAddressDays * 86_400)).then(() => undefined);
  }

  private async knows(account: string, address: string): Promise<boolean> {
    return (await this.store.get(part("known", part(account, address)))).count > 0;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
