/**
 * Stock reservations of orders (the checkout saga's step 4): one document
 * per order with its lines inside, written twice in its life: inserted
 * `reserved` before any stock is taken, then claimed by one conditional
 * update, so that several `products` nodes on one database never oversell
 * or give stock back twice.
 *
 *   reserved -> committed | released
 *   committed -> restocked    (a paid order cancelled: the sold units come back).
 *
 * Which lines hold stock is recorded on the products, not here: taking a
 * line is one conditional update of the product that moves the units to
 * `reserved` and marks the product with the order's hold (the reservation's
 * `attempt`, a random token), and only if no hold of the order is there
 * yet. Giving a line back or settling it is one conditional update that
 * removes exactly that hold. So every line moves exactly once whoever
 * tries it (release, the sweeper, a reserve() that finds the record
 * released, a second reserve() of the same order), and a crash between two
 * lines leaves nothing to count: the reservation was written first, the
 * sweeper releases it after its expiry and gives back exactly the lines
 * whose products hold it. A crash between two writes can only leave units
 * held, never sold twice.
 */
import { conflict, notFound } from "../../platform/errors";
import { isDuplicateKeyError, type DbAdapter } from "../../platform/db/db-adapter";
import { randomHex } from "../../platform/random-hex";
import { mergeLines, type StockLine } from "../../contracts/stock-lines";

/** `pending`: only records written before holds existed (below, legacy), whose reserve() was cut short. */
export type ReservationStatus = "pending" | "reserved" | "committed" | "released" | "restocked";

interface ReservationDoc {
  _id: string;
  orderId: string;
  items: StockLine[];
  status: ReservationStatus;
  /** The token this attempt's holds carry on the products (a failed attempt's record is removed; the next has another). */
  attempt?: string;
  /** Legacy records only (no attempt): how many of `items`, in order, hold stock. */
  taken?: number;
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

/** Whose units a product holds: the order, and the attempt of its reservation. */
export interface Hold {
  orderId: string;
  attempt: string;
}

/** The products' side of a reservation: each write is one atomic conditional update of one product. */
export interface StockLedger {
  /** Moves `quantity` from stock to reserved and records `hold`, if that much is available and the order holds none of it yet; false otherwise. */
  take(line: StockLine, hold: Hold): Promise<boolean>;
  /** Whether the product holds `line` for exactly this attempt. */
  holds(line: StockLine, hold: Hold): Promise<boolean>;
  /** Moves `quantity` back from reserved to stock if the product holds `hold` (null: a legacy line, unconditionally), removing it; false if it did not. */
  putBack(line: StockLine, hold: Hold | null): Promise<boolean>;
  /** The units are sold: `quantity` leaves reserved if the product holds `hold` (null: a legacy line, unconditionally), removing it; false if it did not. */
  settle(line: StockLine, hold: Hold | null): Promise<boolean>;
  /** The error to answer when take() refused `line` (out of stock, unknown product). */
  shortage(line: StockLine): Promise<Error>;
  /**
   * Reads, without writing, whether `line` can be taken right now: null if
   * so, else the error shortage() would answer. Optional. reserve() asks it
   * before writing anything, so a checkout of a sold-out product is refused
   * with one read instead of a record written, claimed and deleted (a flash
   * sale is mostly such refusals, all on one product's document). Only a
   * hint: a line it lets through is still taken by take()'s atomic
   * conditional update, which alone decides.
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
}

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

/**
 * The lines of a record that may hold stock, with the hold they carry.
 * A record written before holds existed (no `attempt`, a deployment
 * upgraded with reservations open) counted its lines in `taken`: those
 * move as they used to, without a hold, once its claim is won.
 */
function heldLines(doc: ReservationDoc): { lines: StockLine[]; hold: Hold | null } {
  if (doc.attempt === undefined) return { lines: doc.items.slice(0, doc.taken ?? 0), hold: null };
  return { lines: doc.items, hold: { orderId: doc.orderId, attempt: doc.attempt } };
}
const holdOf = (doc: ReservationDoc): Hold => ({ orderId: doc.orderId, attempt: doc.attempt ?? "" });
const OPEN: ReservationStatus[] = ["pending", "reserved"];

const released = (orderId: string) =>
  conflict(`The reservation of order ${orderId} was released while it was being made`, "RESERVATION_RELEASED", { orderId });

export class ReservationBook {
  private readonly store: DbAdapter;
  private readonly ledger: StockLedger;
  private readonly returns?: ReturnsLedger;
  private readonly ttlMs: number;
  private readonly now: () => Date;

  constructor(opts: ReservationBookOptions) {
    this.store = opts.store;
    this.ledger = opts.ledger;
    this.returns = opts.returns;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? (() => new Date());
  }

  async find(orderId: string): Promise<Reservation | null> {
    const doc = await this.read(orderId);
    return doc ? toReservation(doc) : null;
  }

  /**
   * All lines or none; a second call for the same order answers the first
   * one's reservation. A call that finds the order's reservation open takes
   * whatever line no call took yet (the first call may be on a node that
   * died halfway): each line is taken once, by whichever call gets there first.
   */
  async reserve(orderId: string, items: StockLine[]): Promise<Reservation> {
    const doc = await this.open(orderId, mergeLines(items));
    if (doc.status === "pending") throw this.stillPending(orderId);
    if (doc.status !== "reserved" || doc.attempt === undefined) return toReservation(doc);
    const hold = holdOf(doc);
    for (const line of doc.items) {
      if (await this.ledger.take(line, hold)) continue;
      // Refused: already taken by another call of this attempt, or not there to take.
      if (await this.ledger.holds(line, hold)) continue;
      const shortage = await this.ledger.shortage(line);
      if (await this.abandon(doc)) throw shortage;
      // Another call settled the attempt first: released, its lines come back; reserved or sold, it stands.
      const settled = await this.endOf(doc);
      if (!settled) throw shortage;
      return settled;
    }
    const settled = await this.endOf(doc);
    if (!settled) throw released(orderId);
    return settled;
  }

  /** reserved -> committed; again on a committed one changes nothing. Refused while a line is still to be taken. */
  async commit(orderId: string): Promise<Reservation> {
    const existing = await this.existing(orderId);
    if (existing.status === "pending") throw this.stillPending(orderId);
    if (existing.status === "reserved") {
      const { lines, hold } = heldLines(existing);
      for (const line of hold ? lines : []) {
        if (await this.ledger.holds(line, hold as Hold)) continue;
        // Not held: still to be taken, or settled or given back by a commit or release that claimed the record since it was read.
        const now = await this.existing(orderId);
        if (now.status === "reserved" && now.attempt === existing.attempt) throw this.stillPending(orderId);
        return this.commit(orderId);
      }
      // Every line is held, and only a claim of the record (which would make this one miss) takes a hold away.
      const claimed = await this.claim(existing, ["reserved"], "committed");
      if (claimed) {
        for (const line of lines) await this.ledger.settle(line, hold);
        return toReservation(claimed);
      }
      return this.commit(orderId);
    }
    if (existing.status === "released") {
      throw conflict(`The reservation of order ${orderId} was released`, "RESERVATION_RELEASED", { orderId });
    }
    return toReservation(existing);
  }

  /** reserved -> released with the stock given back; on a committed or released one changes nothing. */
  async release(orderId: string): Promise<Reservation> {
    const claimed = await this.claimById(orderId, OPEN, "released");
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
    const claimed = await this.claimById(orderId, ["committed"], "restocked");
    if (claimed) {
      for (const line of claimed.items) await this.returns.restock(line);
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
        const claimed = await this.claim(doc, OPEN, "released", { expiresAt: { $lt: now } });
        if (claimed) {
          await this.giveBack(claimed);
          count++;
        }
      }
      if (expired.length < SWEEP_BATCH) break;
    }
    return count;
  }

  /** The order's record: inserted `reserved` with a fresh attempt, or the one already there. */
  private async open(orderId: string, lines: StockLine[]): Promise<ReservationDoc> {
    for (;;) {
      const existing = await this.read(orderId);
      if (existing) return existing;
      for (const line of lines) {
        const refusal = await this.ledger.precheck?.(line);
        if (refusal) throw refusal;
      }
      const now = this.now();
      const doc: ReservationDoc = {
        _id: orderId,
        orderId,
        items: lines,
        status: "reserved",
        attempt: randomHex(8),
        expiresAt: new Date(now.getTime() + this.ttlMs),
        createdAt: now,
        updatedAt: now,
      };
      try {
        await this.store.insert(doc);
        return doc;
      } catch (err) {
        // A concurrent reserve() of the same order inserted first: go on with its record.
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
  }

  /** A reserve() short of stock releases the attempt and gives back what it holds; false if someone claimed the record first. */
  private async abandon(doc: ReservationDoc): Promise<boolean> {
    const claimed = await this.claim(doc, ["reserved"], "released");
    if (!claimed) return false;
    await this.giveBack(claimed);
    // No trace of a failed attempt: a later reserve() of the order tries afresh, with another attempt token.
    await this.store.removeMany({ _id: doc._id, attempt: doc.attempt, status: "released" });
    return true;
  }

  /**
   * After a call took its lines: the attempt's reservation if it stands
   * (reserved, committed, restocked), else null, once what this call took
   * is given back. A released attempt never opens again, and whoever
   * released it may have passed a line before this call took it: the
   * give-back is conditional on the product's hold, so each line comes
   * back once whoever gets there.
   */
  private async endOf(doc: ReservationDoc): Promise<Reservation | null> {
    const now = await this.read(doc._id);
    if (now && now.attempt === doc.attempt && now.status !== "released") return toReservation(now);
    await this.giveBack(doc);
    return null;
  }

  /** One conditional update of the record of this attempt (a record removed and made again is another attempt). */
  private async claim(
    doc: ReservationDoc,
    from: ReservationStatus[],
    to: ReservationStatus,
    extra: Record<string, unknown> = {},
  ): Promise<ReservationDoc | null> {
    return this.claimById(doc._id, from, to, { attempt: doc.attempt ?? { $exists: false }, ...extra });
  }

  private async claimById(
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

  /** Every line a product still holds for this attempt comes back; lines never taken or already given back are left alone. */
  private async giveBack(doc: ReservationDoc): Promise<void> {
    const { lines, hold } = heldLines(doc);
    for (const line of lines) await this.ledger.putBack(line, hold);
  }

  private async read(orderId: string): Promise<ReservationDoc | null> {
    return (await this.store.findOne({ _id: orderId })) as ReservationDoc | null;
  }

  private async existing(orderId: string): Promise<ReservationDoc> {
    const doc = await this.read(orderId);
    if (!doc) throw notFound("Reservation", { orderId });
    return doc;
  }

  private stillPending(orderId: string) {
    return conflict(`The reservation of order ${orderId} is still being made`, "RESERVATION_PENDING", { orderId });
  }
}
