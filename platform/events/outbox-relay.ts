/**
 * Moves outbox entries onto the event bus: one pass settles pending entries
 * whose producer stopped (crash) by asking whether their change is visible,
 * publishes ready ones oldest first (each claimed first, so relays on
 * several nodes of a service rarely publish the same entry twice), and prunes
 * old history. A pass runs at start, when triggered and every interval
 * (retries after a failed publish, entries left by a crash). The producer
 * publishes its own entries at once (deliver); passes pick up what that
 * could not do.
 */
import { reasonText, type EventEnvelope } from "./types";
import { toEnvelope, type OutboxDoc, type OutboxStore } from "./outbox";

export interface RelayLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface RelayOptions {
  store: OutboxStore;
  publish(envelope: EventEnvelope): Promise<void>;
  /**
   * Is the state change of this pending entry stored? false: no; true: yes;
   * `{ payload }`: yes, and the entry (written without one) gets this payload.
   */
  confirm(entry: OutboxDoc): Promise<boolean | { payload: unknown }>;
  logger: RelayLogger;
  intervalMs: number;
}

const BATCH = 100;
/** A claimed entry is left to its relay this long (a publish takes milliseconds; a dead relay's claim runs out). */
export const CLAIM_MS = 30_000;
/** Publishing failed (NATS away): the entry waits this long before the next try. */
const RETRY_MS = 2_000;
/** A pending entry younger than this is most likely a write still under way: not looked at yet. */
const SETTLE_AFTER_MS = 2_000;
/** A pending entry whose change is still not visible after this never gets one: it becomes void. */
const ABANDON_AFTER_MS = 5 * 60 * 1000;
/** History (sent and void entries past their retention, OutboxStore.prune) is swept now and then, not after every write. */
const PRUNE_EVERY_MS = 3600 * 1000;

export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private again = false;
  private stopped = false;
  private prunedAt = 0;
  private readonly delivering = new Set<Promise<void>>();

  constructor(private readonly opts: RelayOptions) {}

  /** A first pass at once (what a crash left behind), then every interval. */
  start(): void {
    this.stopped = false;
    this.trigger();
    this.timer = setInterval(() => this.trigger(), this.opts.intervalMs);
  }

  /** Runs a pass soon; a pass already running is followed by one more, so a new entry is never missed. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.passes().finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Publishes an entry its producer just wrote or settled (still `from`:
   * pending with its change stored, or ready and claimed by the producer)
   * without waiting for a pass, and marks it sent: no claim, no query for
   * due entries. Resolves when done, never rejects: a failed publish leaves
   * the entry ready for the passes to retry. A pass that settles the entry
   * while this is under way (it took longer than SETTLE_AFTER_MS) publishes
   * it again under the same id, which consumers and JetStream drop.
   */
  deliver(envelope: EventEnvelope, from: "pending" | "ready"): Promise<void> {
    const delivery = this.publishOwn(envelope, from).finally(() => this.delivering.delete(delivery));
    this.delivering.add(delivery);
    return delivery;
  }

  private async publishOwn(envelope: EventEnvelope, from: "pending" | "ready"): Promise<void> {
    const { store, logger } = this.opts;
    try {
      await this.opts.publish(envelope);
    } catch (err) {
      logger.warn(`Outbox: ${envelope.event} ${envelope.id} not published yet (${reasonText(err)}); retrying`);
      try {
        if (from === "pending") await store.readyForRetry(envelope.id, envelope.payload, reasonText(err), RETRY_MS);
        else await store.failed(envelope.id, reasonText(err), RETRY_MS);
      } catch (writeErr) {
        // Still pending (or claimed): a pass confirms it, or takes it when the claim runs out.
        logger.warn(`Outbox: ${envelope.event} ${envelope.id} not marked for a retry: ${reasonText(writeErr)}`);
      }
      return;
    }
    try {
      await store.sentFrom(envelope.id, from);
    } catch (err) {
      // Published: at worst a pass publishes it once more.
      logger.warn(`Outbox: ${envelope.event} ${envelope.id} published but not marked sent: ${reasonText(err)}`);
    }
  }

  /** One pass now (after any running one); answers how many events it published. */
  async runOnce(): Promise<number> {
    await this.running;
    return this.pass();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await Promise.all(this.delivering);
  }

  private async passes(): Promise<number> {
    let published = 0;
    do {
      this.again = false;
      try {
        published += await this.pass();
      } catch (err) {
        this.opts.logger.error(`Outbox relay pass failed: ${reasonText(err)}`);
      }
    } while (this.again && !this.stopped);
    return published;
  }

  private async pass(): Promise<number> {
    await this.settleUnfinished();
    const published = await this.publishDue();
    if (Date.now() - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = Date.now();
      await this.opts.store.prune(this.prunedAt);
    }
    return published;
  }

  private async settleUnfinished(): Promise<void> {
    const now = Date.now();
    for (const entry of await this.opts.store.unsettled(BATCH, now - SETTLE_AFTER_MS)) {
      const stored = await this.opts.confirm(entry);
      if (stored) {
        if (await this.opts.store.confirm(entry.id, stored === true ? undefined : stored.payload)) this.opts.logger.info(`Outbox: ${entry.event} ${entry.id} was left pending, its change is stored: publishing it`);
      } else if (Date.parse(entry.occurredAt) <= now - ABANDON_AFTER_MS) {
        if (await this.opts.store.abandon(entry.id)) this.opts.logger.warn(`Outbox: ${entry.event} ${entry.id} was left pending and its change never happened: void`);
      }
    }
  }

  private async publishDue(): Promise<number> {
    let published = 0;
    for (;;) {
      const due = await this.opts.store.due(BATCH);
      for (const entry of due) {
        if (this.stopped) return published;
        if (!(await this.opts.store.claim(entry, CLAIM_MS))) continue;
        try {
          await this.opts.publish(toEnvelope(entry));
        } catch (err) {
          await this.opts.store.failed(entry.id, reasonText(err), RETRY_MS);
          // The bus is away: the rest of the batch would fail alike; the interval tries again.
          this.opts.logger.warn(`Outbox: ${entry.event} ${entry.id} not published yet (${reasonText(err)}); retrying`);
          return published;
        }
        await this.opts.store.sent(entry.id);
        published++;
      }
      if (due.length < BATCH) return published;
    }
  }
}
