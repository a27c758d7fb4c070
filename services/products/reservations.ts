/**
 * Stock reservations of orders (the checkout saga's step 4), kept in their
 * own collection and moved only by conditional updates, so that several
 * `products` nodes on one database never oversell or give stock back twice.
 *
 * A record is keyed by its orderId and goes
 *   pending -> reserved -> committed | released    (pending -> released too)
 *   committed -> restocked                          (a paid order cancelled: the sold units come back).
 * `pending` lives while reserve() takes stock line by line; `taken` counts
 * the lines it took. Whoever moves a record out of pending/reserved by a
 * conditional update ("claims" it) owns what was counted at that moment:
 * release() and the sweeper give back exactly `taken` lines, commit() settles
 * them. A line taken but not yet counted stays with reserve(), which gives it
 * back itself when it finds the record claimed. Nothing is ever given back
 * twice; a crash between two writes can only leave units held, never sold twice.
 */
import { conflict, notFound } from "../../platform/errors";
import { isDuplicateKeyError, type DbAdapter } from "../../platform/db/db-adapter";
import { mergeLines, type StockLine } from "../../contracts/stock-lines";

export type ReservationStatus = "pending" | "reserved" | "committed" | "released" | "restocked";

interface ReservationDoc {
  _id: string;
  orderId: string;
  items: StockLine[];
  status: ReservationStatus;
  /** How many of `items`, in order, hold stock. */
  taken: number;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface Reservation {
  id: string;
  orderId: string;
  items: StockLine[];
  status: ReservationStatus;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

/** The products' side of a reservation: each call is one atomic update of one product. */
export interface StockLedger {
  /** Moves `quantity` from stock to reserved if that much is available; false otherwise. */
  take(line: StockLine): Promise<boolean>;
  /** Moves `quantity` back from reserved to stock. */
  putBack(line: StockLine): Promise<void>;
  /** The units are sold: `quantity` leaves reserved. */
  settle(line: StockLine): Promise<void>;
  /** The error to answer when take() refused `line` (out of stock, unknown product). */
  shortage(line: StockLine): Promise<Error>;
  /**
   * Reads, without writing, whether `line` can be taken right now: null if
   * so, else the error shortage() would answer. Optional. reserve() asks it
   * before writing anything, so a checkout of a sold-out product is refused
   * with one read instead of a record written, taken from, claimed and
   * deleted (a flash sale is mostly such refusals, all on one product's
   * document). Only a hint: a line it lets through is still taken by take()'s
   * atomic conditional update, which alone decides.
   */
  precheck?(line: StockLine): Promise<Error | null>;
}

/** Sold units coming back: `quantity` is added to stock (reserved is untouched, commit already took it out). */
export interface ReturnsLedger {
  restock(line: StockLine): Promise<void>;
}

export interface ReservationBookOptions {
  store: DbAdapter;
  ledger: StockLedger;
  /** Needed by restock() only. */
  returns?: ReturnsLedger;
  ttlMs: number;
  now?: () => Date;
  /** How long a second reserve() of one order waits for the first to finish. */
  pendingWaitMs?: number;
}

const OPEN: ReservationStatus[] = ["pending", "reserved"];
const POLL_MS = 20;
const SWEEP_BATCH = 100;
const SWEEP_MAX_BATCHES = 50;

const iso = (date: Date | string) => new Date(date).toISOString();

function toReservation(doc: ReservationDoc): Reservation {
  return {
    id: doc._id,
    orderId: doc.orderId,
    items: doc.items.map(({ productId, quantity }) => ({ productId, quantity })),
    status: doc.status,
    expiresAt: iso(doc.expiresAt),
    createdAt: iso(doc.createdAt),
    updatedAt: iso(doc.updatedAt),
  };
}

const released = (orderId: string) =>
  conflict(`The reservation of order ${orderId} was released while it was being made`, "RESERVATION_RELEASED", { orderId });

export class ReservationBook {
  private readonly store: DbAdapter;
  private readonly ledger: StockLedger;
  private readonly returns?: ReturnsLedger;
  private readonly ttlMs: number;
  private readonly now: () => Date;
  private readonly pendingWaitMs: number;

  constructor(opts: ReservationBookOptions) {
    this.store = opts.store;
    this.ledger = opts.ledger;
    this.returns = opts.returns;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? (() => new Date());
    this.pendingWaitMs = opts.pendingWaitMs ?? 5_000;
  }

  async find(orderId: string): Promise<Reservation | null> {
    const doc = (await this.store.findOne({ _id: orderId })) as ReservationDoc | null;
    return doc ? toReservation(doc) : null;
  }

  /** All lines or none; a second call for the same order answers the first one's reservation. */
  async reserve(orderId: string, items: StockLine[]): Promise<Reservation> {
    const lines = mergeLines(items);
    const existing = await this.open(orderId, lines);
    if (existing) return toReservation(existing);

    for (const line of lines) {
      if (!(await this.ledger.take(line))) {
        await this.abandon(orderId);
        throw await this.ledger.shortage(line);
      }
      const counted = await this.store.updateOneWhere({ _id: orderId, status: "pending" }, { $inc: { taken: 1 } });
      if (!counted) {
        await this.ledger.putBack(line);
        throw released(orderId);
      }
    }
    const now = this.now();
    const done = await this.store.updateOneWhere(
      { _id: orderId, status: "pending" },
      { $set: { status: "reserved", expiresAt: new Date(now.getTime() + this.ttlMs), updatedAt: now } },
    );
    if (!done) throw released(orderId);
    return toReservation(done as ReservationDoc);
  }

  /** reserved -> committed; again on a committed one changes nothing. */
  async commit(orderId: string): Promise<Reservation> {
    const claimed = await this.claim(orderId, ["reserved"], "committed");
    if (claimed) {
      for (const line of claimed.items.slice(0, claimed.taken)) await this.ledger.settle(line);
      return toReservation(claimed);
    }
    const existing = await this.existing(orderId);
    // Became reserved between the claim and the read: it is this call's to commit.
    if (existing.status === "reserved") return this.commit(orderId);
    if (existing.status === "released") {
      throw conflict(`The reservation of order ${orderId} was released`, "RESERVATION_RELEASED", { orderId });
    }
    if (existing.status === "pending") throw this.stillPending(orderId);
    return toReservation(existing);
  }

  /** pending/reserved -> released with the stock given back; on a committed or released one changes nothing. */
  async release(orderId: string): Promise<Reservation> {
    const claimed = await this.claim(orderId, OPEN, "released");
    if (claimed) {
      await this.giveBack(claimed);
      return toReservation(claimed);
    }
    const existing = await this.existing(orderId);
    // Made by a reserve() of the order between the claim and the read (its call was still on its way): release it too.
    if (OPEN.includes(existing.status)) return this.release(orderId);
    return toReservation(existing);
  }

  /**
   * committed -> restocked, the sold units put back into stock exactly once:
   * only the call whose conditional update claims the record moves stock
   * (a crash in between can only leave units out of stock, never count them
   * twice). Again on a restocked one changes nothing; a released one holds
   * nothing to put back and is answered as it is; an open one is a 409
   * (release it instead).
   */
  async restock(orderId: string): Promise<Reservation> {
    if (!this.returns) throw new Error("ReservationBook: restock needs the `returns` ledger");
    const claimed = await this.claim(orderId, ["committed"], "restocked");
    if (claimed) {
      for (const line of claimed.items.slice(0, claimed.taken)) await this.returns.restock(line);
      return toReservation(claimed);
    }
    const existing = await this.existing(orderId);
    // Committed between the claim and the read: it is this call's to restock.
    if (existing.status === "committed") return this.restock(orderId);
    if (OPEN.includes(existing.status)) {
      throw conflict(`The reservation of order ${orderId} is not committed: release it instead`, "RESERVATION_NOT_COMMITTED", { orderId, status: existing.status });
    }
    return toReservation(existing);
  }

  /** Releases every reservation past its expiry; answers how many this call released. */
  async sweep(): Promise<number> {
    const now = this.now();
    let count = 0;
    for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
      const expired = (await this.store.find({
        query: { status: { $in: OPEN }, expiresAt: { $lt: now } },
        sort: ["expiresAt"],
        limit: SWEEP_BATCH,
      })) as ReservationDoc[];
      for (const doc of expired) {
        // Another node sweeping at once claims some of these first; those are its to give back.
        const claimed = await this.claim(doc._id, OPEN, "released", { expiresAt: { $lt: now } });
        if (claimed) {
          await this.giveBack(claimed);
          count++;
        }
      }
      if (expired.length < SWEEP_BATCH) break;
    }
    return count;
  }

  /** Creates the pending record (null), or answers the order's settled one. */
  private async open(orderId: string, lines: StockLine[]): Promise<ReservationDoc | null> {
    const deadline = Date.now() + this.pendingWaitMs;
    for (;;) {
      const existing = (await this.store.findOne({ _id: orderId })) as ReservationDoc | null;
      if (existing && existing.status !== "pending") return existing;
      if (!existing) {
        for (const line of lines) {
          const refusal = await this.ledger.precheck?.(line);
          if (refusal) throw refusal;
        }
        const now = this.now();
        const doc: ReservationDoc = {
          _id: orderId,
          orderId,
          items: lines,
          status: "pending",
          taken: 0,
          expiresAt: new Date(now.getTime() + this.ttlMs),
          createdAt: now,
          updatedAt: now,
        };
        try {
          await this.store.insert(doc);
          return null;
        } catch (err) {
          // A concurrent reserve() of the same order inserted first: look at its record.
          if (!isDuplicateKeyError(err)) throw err;
          continue;
        }
      }
      if (Date.now() >= deadline) throw this.stillPending(orderId);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** A failed reserve() gives back what it counted, unless someone claimed the record first. */
  private async abandon(orderId: string): Promise<void> {
    const claimed = await this.claim(orderId, ["pending"], "released");
    if (!claimed) return;
    await this.giveBack(claimed);
    // No trace of a failed attempt: a later reserve() of the order tries afresh.
    await this.store.removeMany({ _id: orderId, status: "released" });
  }

  private async claim(
    orderId: string,
    from: ReservationStatus[],
    to: ReservationStatus,
    extra: Record<string, unknown> = {},
  ): Promise<ReservationDoc | null> {
    const doc = await this.store.updateOneWhere(
      { _id: orderId, status: { $in: from }, ...extra },
      { $set: { status: to, updatedAt: this.now() } },
    );
    return doc as ReservationDoc | null;
  }

  private async giveBack(claimed: ReservationDoc): Promise<void> {
    for (const line of claimed.items.slice(0, claimed.taken)) await this.ledger.putBack(line);
  }

  private async existing(orderId: string): Promise<ReservationDoc> {
    const doc = (await this.store.findOne({ _id: orderId })) as ReservationDoc | null;
    if (!doc) throw notFound("Reservation", { orderId });
    return doc;
  }

  private stillPending(orderId: string) {
    return conflict(`The reservation of order ${orderId} is still being made`, "RESERVATION_PENDING", { orderId });
  }
}
