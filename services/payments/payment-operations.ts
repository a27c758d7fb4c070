/**
 * One record per idempotency key of the payments service (collection
 * `payment_operations`, unique index on `key`): what makes "the same key
 * gives the same result, and never a second charge" hold across concurrent
 * calls and several `payments` nodes.
 *
 * Whoever inserts the record of a key owns the operation (the unique index
 * lets exactly one insert win, on NeDB and on a real MongoDB; the CongoDB test
 * emulator enforces no unique index, so concurrency is tested on NeDB).
 * Everyone else with that key:
 *   - a different request under it (fingerprint differs): 409;
 *   - `succeeded`: answered from the transaction it names;
 *   - `rejected` (a decline): the same 402 again, the decision is final;
 *   - `pending`: waits for the owner to finish;
 *   - `failed` (the processor was unreachable) or a `pending` whose lease ran
 *     out (its owner crashed): takes the operation over with a conditional
 *     update and runs it again. Safe, because the processor call carries the
 *     same key and a processor answers a repeated key with its first answer;
 *   - `closed`: the caller gave up on the operation before it ran (close());
 *     a call with the key that arrives late is refused (409) and does nothing.
 * A request refused before anything was done (an invalid transition) leaves
 * no record: the key stays unused.
 */
import { conflict } from "../../platform/errors";
import { isDuplicateKeyError, newId, type DbAdapter, type IndexSpec } from "../../platform/db/db-adapter";
import type { DeclineReason } from "./payment-gateway";
import { declined } from "./payment-records";

export type OperationKind = "authorize" | "charge" | "capture" | "void" | "refund";
export type OperationState = "pending" | "succeeded" | "rejected" | "failed" | "closed";

export interface OperationDoc {
  _id: string;
  key: string;
  kind: OperationKind;
  /** The request the key was first used for (no card data: last four digits at most). */
  fingerprint: string;
  state: OperationState;
  transactionId?: string;
  declineReason?: DeclineReason;
  /** Epoch ms; the owner's claim, renewed by a takeover. Also fences the owner's writes. */
  leaseUntil: number;
  createdAt: string;
  updatedAt: string;
}

export const OPERATION_INDEXES: IndexSpec[] = [{ fields: ["key"], unique: true }];

/**
 * How long the record of a finished operation is kept: 24 hours, as card
 * processors keep their idempotency keys. Past it, a call with the key runs
 * again, and is answered by what it already did: an authorization or a
 * charge finds its transaction under the same key, a capture, void or
 * refund finds its key in the transaction's history. So pruning frees
 * memory (NeDB keeps every record in it) and moves no money.
 */
export const OPERATION_RETENTION_MS = 24 * 3600 * 1000;

/** The caller runs the operation (`run`), or answers from a finished one (`replay`). */
export type Claim = { run: true; op: OperationDoc } | { run: false; op: OperationDoc };

export interface OperationLogOptions {
  store: DbAdapter;
  /** How long an owner may take before others may take over. */
  leaseMs: number;
  /** How long a second caller waits for a pending operation before answering 409. */
  pendingWaitMs: number;
  pollMs?: number;
  now?: () => number;
}

/** Canonical JSON of a request: the same fields give the same string whatever their order. */
export function fingerprintOf(fields: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(fields).sort().map((k) => [k, fields[k] ?? null]));
}

export class OperationLog {
  private readonly store: DbAdapter;
  private readonly leaseMs: number;
  private readonly pendingWaitMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(opts: OperationLogOptions) {
    this.store = opts.store;
    this.leaseMs = opts.leaseMs;
    this.pendingWaitMs = opts.pendingWaitMs;
    this.pollMs = opts.pollMs ?? 20;
    this.now = opts.now ?? Date.now;
  }

  /** Takes the key for this request, or says how an earlier use of it ended (a decline is thrown again). */
  async claim(key: string, kind: OperationKind, fingerprint: string, transactionId?: string): Promise<Claim> {
    // Waiting is measured on the wall clock; `now` (injectable) dates leases and records.
    const deadline = Date.now() + this.pendingWaitMs;
    for (;;) {
      const existing = (await this.store.findOne({ key })) as OperationDoc | null;
      if (!existing) {
        const at = new Date(this.now()).toISOString();
        const doc: OperationDoc = { _id: newId(), key, kind, fingerprint, state: "pending", leaseUntil: this.now() + this.leaseMs, createdAt: at, updatedAt: at };
        if (transactionId) doc.transactionId = transactionId;
        try {
          return { run: true, op: (await this.store.insert(doc)) as OperationDoc };
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          continue; // a concurrent call with this key inserted first: look at its record
        }
      }
      if (existing.state === "closed" && existing.kind === kind) {
        throw conflict("This request was called off by its sender before it ran", "OPERATION_CLOSED", { field: "idempotencyKey" });
      }
      if (existing.kind !== kind || existing.fingerprint !== fingerprint) {
        throw conflict("This idempotency key was already used for a different request", "IDEMPOTENCY_KEY_REUSED", { field: "idempotencyKey" });
      }
      if (existing.state === "succeeded") return { run: false, op: existing };
      if (existing.state === "rejected") throw declined(existing.declineReason ?? "card_declined", existing.transactionId);
      if (existing.state === "failed" || existing.leaseUntil < this.now()) {
        const taken = await this.takeOver(existing);
        if (taken) return { run: true, op: taken };
        continue;
      }
      if (Date.now() >= deadline) {
        throw conflict("A request with this idempotency key is still being processed, try again shortly", "IDEMPOTENCY_KEY_IN_PROGRESS", {
          field: "idempotencyKey",
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  succeed(op: OperationDoc, transactionId: string): Promise<boolean> {
    return this.settle(op, { state: "succeeded", transactionId });
  }

  reject(op: OperationDoc, transactionId: string, reason: DeclineReason): Promise<boolean> {
    return this.settle(op, { state: "rejected", transactionId, declineReason: reason });
  }

  /** The processor was unreachable: the next call with this key tries again. */
  fail(op: OperationDoc, transactionId?: string): Promise<boolean> {
    return this.settle(op, { state: "failed", ...(transactionId ? { transactionId } : {}) });
  }

  /**
   * Runs the owner's work. Whatever it throws that left the operation pending
   * (a database error, a lost hold) marks it failed, so the caller's retry
   * with the key re-drives it now instead of waiting out the lease. The
   * update only touches a pending record: an outcome already recorded stands.
   */
  async failOnError<T>(op: OperationDoc, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      await this.fail(op).catch(() => false);
      throw err;
    }
  }

  /**
   * Calls off the operation of `key` for good, unless it ran or runs: a call
   * with the key that is still on its way (its sender timed out and gave up)
   * finds it `closed` and does nothing. Answers the record as it now stands:
   * `closed`, or `pending` (running: ask again later), or how it ended.
   */
  async close(key: string, kind: OperationKind): Promise<OperationDoc> {
    for (;;) {
      const existing = (await this.store.findOne({ key })) as OperationDoc | null;
      const at = new Date(this.now()).toISOString();
      if (!existing) {
        const doc: OperationDoc = { _id: newId(), key, kind, fingerprint: "", state: "closed", leaseUntil: 0, createdAt: at, updatedAt: at };
        try {
          return (await this.store.insert(doc)) as OperationDoc;
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          continue; // the operation itself arrived first: look at its record
        }
      }
      // A run that failed, or whose owner crashed, is not run again by anyone: its next call would.
      const abandoned = existing.state === "failed" || (existing.state === "pending" && existing.leaseUntil < this.now());
      if (!abandoned || existing.kind !== kind) return existing;
      const closed = await this.store.updateOneWhere(
        { _id: existing._id, state: existing.state, leaseUntil: existing.leaseUntil },
        { $set: { state: "closed", updatedAt: at } },
      );
      if (closed) return closed as OperationDoc;
    }
  }

  /** Removes the records of operations that ended (not pending ones) before `before` (epoch ms); answers how many. */
  prune(before: number): Promise<number> {
    return this.store.removeMany({ state: { $ne: "pending" }, updatedAt: { $lt: new Date(before).toISOString() } });
  }

  /** Nothing was done: the key is free again. */
  async abandon(op: OperationDoc): Promise<void> {
    await this.store.removeMany({ _id: op._id, state: "pending", leaseUntil: op.leaseUntil });
  }

  private async takeOver(existing: OperationDoc): Promise<OperationDoc | null> {
    const taken = await this.store.updateOneWhere(
      { _id: existing._id, state: existing.state, leaseUntil: existing.leaseUntil },
      { $set: { state: "pending", leaseUntil: this.now() + this.leaseMs, updatedAt: new Date(this.now()).toISOString() } },
    );
    return taken as OperationDoc | null;
  }

  /** False when the lease was lost to a takeover: the new owner's outcome stands. */
  private async settle(op: OperationDoc, fields: Partial<OperationDoc>): Promise<boolean> {
    const done = await this.store.updateOneWhere(
      { _id: op._id, state: "pending", leaseUntil: op.leaseUntil },
      { $set: { ...fields, updatedAt: new Date(this.now()).toISOString() } },
    );
    return done !== null;
  }
}
