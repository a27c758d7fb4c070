/**
 * The claim protocol of services/products/reservations.ts, without a broker: a stock
 * ledger in memory (with the products' holds, as product-ledger.ts keeps them)
 * whose take() a test can hold, to stop reserve() halfway and see what
 * release(), commit(), the sweeper and a second reserve() do.
 */
import { createAdapter, type DbAdapter } from "../../platform/db/db-adapter";
import { ReservationBook, type Hold, type StockLedger } from "../../services/products/reservations";

import { conflict } from "../../platform/errors";
import { type StockLine } from "../../contracts/stock-lines";

class MemoryLedger implements StockLedger {
  readonly stock = new Map<string, number>();
  readonly reserved = new Map<string, number>();
  private gates = new Map<string, { reached: () => void; gate: Promise<void> }>();

  constructor(levels: Record<string, number>) {
    for (const [id, stock] of Object.entries(levels)) {
      this.stock.set(id, stock);
      this.reserved.set(id, 0);
    }
  }

  /** The next take() of `productId` waits until the returned release function is called. */
  pauseTake(productId: string): { reached: Promise<void>; open: () => void } {
    let open!: () => void;
    let reached!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (open = resolve));
    this.gates.set(productId, { reached, gate });
    return { reached: reachedPromise, open };
  }

  /** productId -> order -> attempt, like a product's `holds`. */
  readonly held = new Map<string, Map<string, string>>();

  async take({ productId, quantity }: StockLine, hold: Hold): Promise<boolean> {
    const gate = this.gates.get(productId);
    if (gate) {
      this.gates.delete(productId);
      gate.reached();
      await gate.gate;
    }
    const stock = this.stock.get(productId) ?? 0;
    const holds = this.held.get(productId) ?? new Map<string, string>();
    if (stock < quantity || holds.has(hold.orderId)) return false;
    this.stock.set(productId, stock - quantity);
    this.reserved.set(productId, (this.reserved.get(productId) ?? 0) + quantity);
    this.held.set(productId, holds.set(hold.orderId, hold.attempt));
    return true;
  }

  async holds({ productId }: StockLine, hold: Hold): Promise<boolean> {
    return this.held.get(productId)?.get(hold.orderId) === hold.attempt;
  }

  /** null: a legacy line, moved without a hold. */
  private unhold(productId: string, hold: Hold | null): boolean {
    if (!hold) return true;
    const holds = this.held.get(productId);
    if (holds?.get(hold.orderId) !== hold.attempt) return false;
    holds.delete(hold.orderId);
    return true;
  }

  async putBack({ productId, quantity }: StockLine, hold: Hold | null): Promise<boolean> {
    if (!this.unhold(productId, hold)) return false;
    this.stock.set(productId, (this.stock.get(productId) ?? 0) + quantity);
    this.reserved.set(productId, (this.reserved.get(productId) ?? 0) - quantity);
    return true;
  }

  async settle({ productId, quantity }: StockLine, hold: Hold | null): Promise<boolean> {
    if (!this.unhold(productId, hold)) return false;
    this.reserved.set(productId, (this.reserved.get(productId) ?? 0) - quantity);
    return true;
  }

  async shortage({ productId }: StockLine): Promise<Error> {
    return conflict("out of stock", "OUT_OF_STOCK", { productId });
  }

  levels(productId: string) {
    return { stock: this.stock.get(productId), reserved: this.reserved.get(productId) };
  }
}

const TTL = 60_000;
let store: DbAdapter;
let ledger: MemoryLedger;
let clock: Date;

function book() {
  return new ReservationBook({ store, ledger, ttlMs: TTL, now: () => clock });
}

beforeEach(async () => {
  store = createAdapter({ collection: "reservations", database: "test" });
  store.init(null, { schema: {} });
  await store.connect();
  await store.ensureIndexes([{ fields: ["orderId"], unique: true }]);
  ledger = new MemoryLedger({ lamp: 5, mug: 5 });
  clock = new Date("2030-01-01T00:00:00Z");
});

afterEach(async () => {
  await store.disconnect();
});

const ORDER = [
  { productId: "lamp", quantity: 2 },
  { productId: "mug", quantity: 3 },
];

describe("a reservation released while reserve() is taking stock", () => {
  it("gives every unit back exactly once and reserve() answers 409", async () => {
    const held = ledger.pauseTake("mug");
    const reserving = book().reserve("o-1", ORDER);
    await held.reached;

    // lamp is taken (the product holds it for the order); mug is not taken yet.
    const released = await book().release("o-1");
    expect(released.status).toBe("released");
    expect(ledger.levels("lamp")).toEqual({ stock: 5, reserved: 0 });

    held.open();
    await expect(reserving).rejects.toMatchObject({ code: 409, type: "RESERVATION_RELEASED" });
    expect(ledger.levels("mug")).toEqual({ stock: 5, reserved: 0 });
    expect(ledger.levels("lamp")).toEqual({ stock: 5, reserved: 0 });
  });
});

describe("a reserve() that lands while release() looks (its call was still on its way)", () => {
  it("is released too: found open after the claim missed it, it is claimed again", async () => {
    const update = store.updateOneWhere.bind(store);
    let landed: Promise<unknown> | undefined;
    store.updateOneWhere = async (filter, change) => {
      const done = await update(filter, change);
      // The release's claim found nothing; the reserve lands before the release reads the record.
      if (!done && !landed && (change.$set as { status?: string } | undefined)?.status === "released") {
        landed = book().reserve("o-6", ORDER);
        await landed;
      }
      return done;
    };
    await expect(book().release("o-6")).resolves.toMatchObject({ status: "released" });
    expect(ledger.levels("lamp")).toEqual({ stock: 5, reserved: 0 });
    expect(ledger.levels("mug")).toEqual({ stock: 5, reserved: 0 });
  });
});

describe("a reserve() that stopped halfway (a crashed node)", () => {
  it("is released by the sweeper after its expiry, giving back only the lines the products hold", async () => {
    const held = ledger.pauseTake("mug");
    const stuck = book().reserve("o-2", ORDER);
    await held.reached;

    expect(await book().sweep()).toBe(0);
    clock = new Date(clock.getTime() + TTL + 1);
    const [first, second] = await Promise.all([book().sweep(), book().sweep()]);
    expect(first + second).toBe(1);
    expect(ledger.levels("lamp")).toEqual({ stock: 5, reserved: 0 });

    // Were the node alive after all, its last line would find the record claimed.
    held.open();
    await expect(stuck).rejects.toMatchObject({ type: "RESERVATION_RELEASED" });
    expect(ledger.levels("mug")).toEqual({ stock: 5, reserved: 0 });
  });

  it("cannot be committed while it is being made", async () => {
    const held = ledger.pauseTake("mug");
    const reserving = book().reserve("o-3", ORDER);
    await held.reached;
    await expect(book().commit("o-3")).rejects.toMatchObject({ type: "RESERVATION_PENDING" });
    held.open();
    await expect(reserving).resolves.toMatchObject({ status: "reserved" });
    await expect(book().commit("o-3")).resolves.toMatchObject({ status: "committed" });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 0 });
  });
});

describe("two commits of one order at once", () => {
  it("both answer committed: the one that read the record before the other settled it does not take it for pending", async () => {
    await book().reserve("o-8", ORDER);
    const findOne = store.findOne.bind(store);
    let other: Promise<unknown> | undefined;
    store.findOne = async (query) => {
      const doc = await findOne(query);
      // The first commit has read the record as reserved; the second commits and settles every line meanwhile.
      if (!other) {
        other = book().commit("o-8");
        await other;
      }
      return doc;
    };
    await expect(book().commit("o-8")).resolves.toMatchObject({ status: "committed" });
    await expect(other).resolves.toMatchObject({ status: "committed" });
    expect(ledger.levels("lamp")).toEqual({ stock: 3, reserved: 0 });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 0 });
  });
});

describe("a second reserve() of an order being reserved", () => {
  it("answers the same reservation, and no line is taken twice", async () => {
    const held = ledger.pauseTake("mug");
    const first = book().reserve("o-4", ORDER);
    await held.reached;
    const second = book().reserve("o-4", ORDER);
    held.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toEqual(a);
    expect(ledger.levels("lamp")).toEqual({ stock: 3, reserved: 2 });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 3 });
  });

  it("finishes what a first call left halfway (its node died), and the first, were it alive, takes nothing more", async () => {
    const held = ledger.pauseTake("mug");
    const first = book().reserve("o-5", ORDER);
    await held.reached;
    await expect(book().reserve("o-5", ORDER)).resolves.toMatchObject({ status: "reserved" });
    expect(ledger.levels("lamp")).toEqual({ stock: 3, reserved: 2 });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 3 });

    held.open();
    await expect(first).resolves.toMatchObject({ status: "reserved" });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 3 });
    await book().commit("o-5");
    expect(ledger.levels("lamp")).toEqual({ stock: 3, reserved: 0 });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 0 });
  });
});

describe("an attempt that failed for lack of stock", () => {
  it("leaves no record, and its late give-backs cannot touch the next attempt's holds", async () => {
    ledger.stock.set("mug", 1);
    const held = ledger.pauseTake("lamp");
    const slow = book().reserve("o-7", ORDER);
    await held.reached;
    // A second call of the same attempt finds mug short: the attempt is abandoned and its record removed.
    await expect(book().reserve("o-7", ORDER)).rejects.toMatchObject({ type: "OUT_OF_STOCK" });
    expect(await book().find("o-7")).toBeNull();

    ledger.stock.set("mug", 5);
    const next = book().reserve("o-7", [{ productId: "mug", quantity: 3 }]);
    await expect(next).resolves.toMatchObject({ status: "reserved" });
    held.open();
    // The slow call takes lamp for the abandoned attempt, finds mug held by the next one, sees its attempt gone, and gives lamp back.
    await expect(slow).rejects.toMatchObject({ code: 409 });
    expect(ledger.levels("lamp")).toEqual({ stock: 5, reserved: 0 });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 3 });
    await expect(book().commit("o-7")).resolves.toMatchObject({ status: "committed" });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 0 });
  });
});

describe("sweep", () => {
  it("leaves unexpired, committed and released reservations alone", async () => {
    await book().reserve("o-open", [{ productId: "lamp", quantity: 1 }]);
    await book().reserve("o-sold", [{ productId: "lamp", quantity: 1 }]);
    await book().commit("o-sold");
    await book().reserve("o-gone", [{ productId: "mug", quantity: 1 }]);
    await book().release("o-gone");
    expect(await book().sweep()).toBe(0);

    clock = new Date(clock.getTime() + TTL + 1);
    expect(await book().sweep()).toBe(1);
    expect(await book().find("o-open")).toMatchObject({ status: "released" });
    expect(await book().find("o-sold")).toMatchObject({ status: "committed" });
    expect(ledger.levels("lamp")).toEqual({ stock: 4, reserved: 0 });
    expect(ledger.levels("mug")).toEqual({ stock: 5, reserved: 0 });
  });
});

describe("records written before holds existed (an upgrade with reservations open)", () => {
  /** As the earlier code left them: no attempt, the lines that hold stock counted in `taken`. */
  async function legacy(orderId: string, status: "pending" | "reserved", taken: number) {
    for (const line of ORDER.slice(0, taken)) {
      ledger.stock.set(line.productId, (ledger.stock.get(line.productId) ?? 0) - line.quantity);
      ledger.reserved.set(line.productId, (ledger.reserved.get(line.productId) ?? 0) + line.quantity);
    }
    await store.insert({ _id: orderId, orderId, items: ORDER, status, taken, expiresAt: clock, createdAt: clock, updatedAt: clock });
  }

  it("are swept giving back exactly the lines they counted, and a reserved one commits them", async () => {
    await legacy("o-halfway", "pending", 1);
    await legacy("o-done", "reserved", 2);
    await expect(book().reserve("o-halfway", ORDER)).rejects.toMatchObject({ type: "RESERVATION_PENDING" });
    await expect(book().reserve("o-done", ORDER)).resolves.toMatchObject({ status: "reserved" });
    await expect(book().commit("o-done")).resolves.toMatchObject({ status: "committed" });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 0 });

    clock = new Date(clock.getTime() + 1);
    expect(await book().sweep()).toBe(1);
    expect(ledger.levels("lamp")).toEqual({ stock: 3, reserved: 0 });
    expect(ledger.levels("mug")).toEqual({ stock: 2, reserved: 0 });
  });
});
