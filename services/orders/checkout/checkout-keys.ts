/**
 * The Idempotency-Key records of checkouts (collection `idempotency` of the
 * orders database, unique index on `scope` = "<userId>:<key>"): what makes
 * "the same key gives the same answer, and only one saga runs" hold across
 * concurrent requests and several orders nodes, because the record is in the
 * shared database and exactly one insert of a scope wins.
 *
 * A record is `in_progress` while its owner runs the checkout, then:
 *   - `done`: the answer is kept (`outcome`) and replayed to every later
 *     request with the key and the same body;
 *   - `retryable`: the checkout failed for a transient reason (503, 504):
 *     the next request with the key runs a new checkout (a new order; the
 *     failed one stays failed);
 *   - removed: the checkout stopped before an order existed (empty cart,
 *     missing address, a service down before anything was done), so nothing
 *     happened and the key is free again.
 * The same key with another body is a 409 IDEMPOTENCY_KEY_REUSED.
 *
 * A finished record (`done`, `retryable`) is kept KEY_RETENTION_MS (24
 * hours, as card processors keep theirs), then pruned: the same key after
 * that runs a new checkout. An `in_progress` record is never pruned.
 *
 * Every run has its own `attempt` token: a takeover changes it, and the old
 * owner's writes (linking its order, releasing the key) are fenced by it.
 * Once an order is linked, whoever finishes that order (the request, or the
 * recovery sweeper after a crash) completes the record, conditionally on
 * the order id, so a late finisher of an old attempt never overwrites a newer one.
 */
import { conflict } from "../../../platform/errors";
import { randomHex } from "../../../platform/random-hex";
import { isDuplicateKeyError, newId, type DbAdapter, type IndexSpec } from "../../../platform/db/db-adapter";
import { sleep } from "../../../platform/sleep";

export type KeyState = "in_progress" | "done" | "retryable";

/** An answer as the gateway sends it: the status and the body (an order, or an error in docs/api.md's shape). */
export interface Outcome {
  status: number;
  body: unknown;
}

export interface KeyDoc {
  _id: string;
  scope: string;
  fingerprint: string;
  state: KeyState;
  attempt: string;
  orderId: string | null;
  outcome: Outcome | null;
  /** Epoch ms; an in_progress record without an order past this lost its owner. */
  leaseUntil: number;
  createdAt: string;
  updatedAt: string;
}

// No index on updatedAt: the hourly prune's scan costs less than keeping one up to date on every write.
export const KEY_INDEXES: IndexSpec[] = [{ fields: ["scope"], unique: true }];

/** How long the answer of a finished checkout is kept under its key (docs/operations.md, "Retention"). */
export const KEY_RETENTION_MS = 24 * 3600 * 1000;

export type KeyClaim = { own: true; doc: KeyDoc } | { own: false; outcome: Outcome };

/** What the waiting side learns of the order an in_progress record names. */
export type LinkedOrder = "running" | "missing";

export interface CheckoutKeysOptions {
  store: DbAdapter;
  /** How long an owner may take to create its order before others may take the key over. */
  leaseMs: number;
  pollMs?: number;
  now?: () => number;
}

export const keyScope = (userId: string, key: string) => `${userId}:${key}`;

const attemptToken = () => randomHex(8);

export function keyReused() {
  return conflict("This Idempotency-Key was already used for a different request", "IDEMPOTENCY_KEY_REUSED", { field: "Idempotency-Key" });
}

export function keyInProgress() {
  return conflict("A checkout with this Idempotency-Key is still in progress, try again shortly", "IDEMPOTENCY_KEY_IN_PROGRESS", { field: "Idempotency-Key" });
}

export class CheckoutKeys {
  private readonly store: DbAdapter;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(opts: CheckoutKeysOptions) {
    this.store = opts.store;
    this.leaseMs = opts.leaseMs;
    this.pollMs = opts.pollMs ?? 50;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Takes the key for this request (`own`), or answers how an earlier
   * request with it ended, waiting for one in flight until `deadline` (epoch
   * ms; then 409 IDEMPOTENCY_KEY_IN_PROGRESS). `inspect` is asked about the
   * order of a record whose owner is overdue: it may finish that order (and
   * so complete the record), or say the order does not exist.
   */
  async claim(scope: string, fingerprint: string, deadline: number, inspect: (doc: KeyDoc) => Promise<LinkedOrder>): Promise<KeyClaim> {
    for (;;) {
      const existing = (await this.store.findOne({ scope })) as KeyDoc | null;
      if (!existing) {
        const at = new Date(this.now()).toISOString();
        const doc: KeyDoc = { _id: newId(), scope, fingerprint, state: "in_progress", attempt: attemptToken(), orderId: null, outcome: null, leaseUntil: this.now() + this.leaseMs, createdAt: at, updatedAt: at };
        try {
          return { own: true, doc: (await this.store.insert(doc)) as KeyDoc };
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          continue; // a concurrent request with the key inserted first: look at its record
        }
      }
      if (existing.fingerprint !== fingerprint) throw keyReused();
      if (existing.state === "done" && existing.outcome) return { own: false, outcome: existing.outcome };
      if (existing.state === "retryable") {
        const taken = await this.takeOver(existing);
        if (taken) return { own: true, doc: taken };
        continue;
      }
      if (existing.leaseUntil < this.now()) {
        // The owner is overdue: before its order exists it has crashed; after, its order tells.
        const orphaned = existing.orderId === null || (await inspect(existing)) === "missing";
        if (orphaned) {
          const taken = await this.takeOver(existing);
          if (taken) return { own: true, doc: taken };
          continue;
        }
      }
      if (Date.now() >= deadline) throw keyInProgress();
      await sleep(this.pollMs);
    }
  }

  /** Names the order of this run before it is created; false when the run lost the key. */
  async link(doc: KeyDoc, orderId: string): Promise<boolean> {
    return (await this.store.updateOneWhere({ _id: doc._id, state: "in_progress", attempt: doc.attempt }, { $set: { orderId, updatedAt: this.iso() } })) !== null;
  }

  /** Nothing happened under the key (no order): it is free again. */
  async release(doc: KeyDoc): Promise<void> {
    await this.store.removeMany({ _id: doc._id, state: "in_progress", attempt: doc.attempt, orderId: null });
  }

  /** The order of the record ended: its answer is kept (`done`) or the key may run again (`retryable`). */
  async complete(scope: string, orderId: string, outcome: Outcome, retryable: boolean): Promise<boolean> {
    const done = await this.store.updateOneWhere(
      { scope, orderId, state: "in_progress" },
      { $set: { state: retryable ? "retryable" : "done", outcome, updatedAt: this.iso() } },
    );
    return done !== null;
  }

  /** Removes the records of checkouts that ended more than KEY_RETENTION_MS ago; answers how many. */
  prune(): Promise<number> {
    const before = new Date(this.now() - KEY_RETENTION_MS).toISOString();
    return this.store.removeMany({ state: { $in: ["done", "retryable"] }, updatedAt: { $lt: before } });
  }

  private async takeOver(existing: KeyDoc): Promise<KeyDoc | null> {
    const taken = await this.store.updateOneWhere(
      { _id: existing._id, state: existing.state, attempt: existing.attempt },
      { $set: { state: "in_progress", attempt: attemptToken(), orderId: null, outcome: null, leaseUntil: this.now() + this.leaseMs, updatedAt: this.iso() } },
    );
    return taken as KeyDoc | null;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}
