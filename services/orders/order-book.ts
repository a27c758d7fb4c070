/**
 * The orders collection as the saga and the handlers write it: status
 * changes through services/orders/order-state.ts, and the saga's lease.
 *
 * The lease (`saga.owner`, `saga.leaseUntil`) says who drives a pending
 * order's saga. The request that created it holds it, renewing it with every
 * step it records; a sweeper (or a cancel) may take it once it ran out, with
 * one conditional update on the `leaseUntil` it read, so of several orders
 * nodes exactly one takes it over. Every later write of a saga is fenced by
 * its owner token: an owner that lost the lease (it was too slow, another
 * took over) finds its writes refused and stops (LeaseLost).
 *
 * Every status change is announced (`order.<status>`) by the same write: the
 * Announcer writes the event into the outbox ahead and the change marks the
 * order with its id (platform/events/outbox.ts), so no change goes untold and no event
 * tells of a change that did not happen. An order reaches each status once,
 * so the order id names the event: a repeat is the same event.
 */
import { randomHex } from "../../platform/random-hex";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { transitionUpdate, type OrderStatus } from "./order-state";
import type { OrderDoc, OrderEvent, SagaStep } from "./order-model";
import { outboxMark } from "../../platform/events/outbox";

/**
 * Writes `event` ahead, runs `change(eventId)` and publishes the event, made
 * from the changed order, when it changed something (the outbox mixin's
 * commitWithEvent, keyed by `key`).
 */
export type Announcer = (event: OrderEvent, change: (eventId: string) => Promise<OrderDoc | null>, key: string) => Promise<OrderDoc | null | undefined>;

/** What the DB mixin gives the orders service (mixins/db.mixin.ts). */
export interface OrderStore {
  adapter: DbAdapter;
  insertEntity(doc: Record<string, unknown>): Promise<Record<string, any>>;
  updateWhere(filter: Record<string, unknown>, update: Record<string, unknown>): Promise<Record<string, any> | null>;
  findEntityById(id: string): Promise<Record<string, any> | null>;
}

/** The saga's writes were refused: another owner drives the order now. */
export class LeaseLost extends Error {
  constructor(orderId: string) {
    super(`Lost the saga lease of order ${orderId}`);
    this.name = "LeaseLost";
  }
}

/** The customer cancelled the order while its checkout ran (before the payment was captured). */
export class CancelRequested extends Error {
  constructor(orderId: string) {
    super(`Order ${orderId} was cancelled during its checkout`);
    this.name = "CancelRequested";
  }
}

export const ownerToken = () => randomHex(8);

const SWEEP_BATCH = 50;

export class OrderBook {
  private readonly db: OrderStore;
  readonly leaseMs: number;
  private readonly clock: () => number;

  private readonly announcer: Announcer;

  constructor(db: OrderStore, opts: { leaseMs: number; now?: () => number; announce: Announcer }) {
    this.db = db;
    this.leaseMs = opts.leaseMs;
    this.clock = opts.now ?? Date.now;
    this.announcer = opts.announce;
  }

  /** The same book, announcing through `announce` (one that carries a request's id). */
  announcingWith(announce: Announcer): OrderBook {
    return new OrderBook(this.db, { leaseMs: this.leaseMs, now: this.clock, announce });
  }

  now(): number {
    return this.clock();
  }

  iso(): string {
    return new Date(this.clock()).toISOString();
  }

  async get(id: string): Promise<OrderDoc | null> {
    return (await this.db.findEntityById(id)) as OrderDoc | null;
  }

  async insert(doc: Omit<OrderDoc, "id"> & { _id: string }): Promise<OrderDoc> {
    return (await this.db.insertEntity(doc as unknown as Record<string, unknown>)) as OrderDoc;
  }

  /** `order` moved to `to` and announced, if it is still in the status it was read in (and matches `where`); null otherwise. */
  async transition(order: OrderDoc, to: OrderStatus, reason: string, opts: { set?: Record<string, unknown>; where?: Record<string, unknown> } = {}): Promise<OrderDoc | null> {
    const { filter, update } = transitionUpdate(order.status, to, { at: this.iso(), reason, set: opts.set });
    const change = async (eventId: string) =>
      (await this.db.updateWhere({ _id: order.id, ...filter, ...opts.where }, { ...update, $push: { ...update.$push, ...outboxMark(eventId) } })) as OrderDoc | null;
    return (await this.announcer(`order.${to}` as OrderEvent, change, order.id)) ?? null;
  }

  /**
   * Changes fields of an order that is still in `status`; null when it moved
   * on. Saga bookkeeping the customer does not see (`bookkeeping`) leaves
   * `updatedAt` alone, so the order answered and kept under its key stays
   * the order stored.
   */
  async amend(order: OrderDoc, set: Record<string, unknown>, where: Record<string, unknown> = {}, bookkeeping = false): Promise<OrderDoc | null> {
    const update = bookkeeping ? set : { ...set, updatedAt: this.iso() };
    return (await this.db.updateWhere({ _id: order.id, status: order.status, ...where }, { $set: update })) as OrderDoc | null;
  }

  /** Takes the saga of an order whose lease ran out (as read in `order`); null when someone else took it first. */
  async claim(order: OrderDoc, set: Record<string, unknown> = {}): Promise<OrderDoc | null> {
    if (order.saga.leaseUntil >= this.now()) return null;
    return (await this.db.updateWhere(
      { _id: order.id, status: order.status, "saga.leaseUntil": order.saga.leaseUntil },
      { $set: { ...set, "saga.owner": ownerToken(), "saga.leaseUntil": this.now() + this.leaseMs, updatedAt: this.iso() } },
    )) as OrderDoc | null;
  }

  /**
   * Records a saga step on a pending order and renews the lease, as its
   * owner. Before the payment is captured (`pivot` false) a cancel request
   * stops the saga (CancelRequested); after it, the saga goes on to `paid`.
   */
  async record(order: OrderDoc, step: SagaStep, set: Record<string, unknown>, opts: { pivot?: boolean } = {}): Promise<OrderDoc> {
    const filter: Record<string, unknown> = { _id: order.id, status: "pending", "saga.owner": order.saga.owner };
    if (!opts.pivot) filter["saga.cancelRequested"] = { $ne: true };
    const recorded = (await this.db.updateWhere(filter, {
      $set: { ...set, "saga.step": step, "saga.leaseUntil": this.now() + this.leaseMs, updatedAt: this.iso() },
    })) as OrderDoc | null;
    if (recorded) return recorded;
    const current = await this.get(order.id);
    if (current?.status === "pending" && current.saga.owner === order.saga.owner && current.saga.cancelRequested) throw new CancelRequested(order.id);
    throw new LeaseLost(order.id);
  }

  /**
   * Whether the customer asked to cancel this pending order, read without a
   * write (the saga's last look before its pivot); LeaseLost when its
   * saga is no longer this owner's.
   */
  async cancelRequested(order: OrderDoc): Promise<boolean> {
    const current = await this.get(order.id);
    if (current?.status !== "pending" || current.saga.owner !== order.saga.owner) throw new LeaseLost(order.id);
    return current.saga.cancelRequested === true;
  }

  /** The owner's final change of a pending order (paid, failed, cancelled); LeaseLost when it no longer owns it. */
  async finish(order: OrderDoc, to: OrderStatus, reason: string, set: Record<string, unknown>): Promise<OrderDoc> {
    const pending = { ...order, status: "pending" as const };
    const done = await this.transition(pending, to, reason, { set, where: { "saga.owner": order.saga.owner } });
    if (!done) throw new LeaseLost(order.id);
    return done;
  }

  /**
   * Orders a sweeper should take over, lease run out: pending ones whose
   * saga stopped, paid ones not yet announced, and failed or cancelled ones
   * whose compensation is still owed.
   */
  async stale(): Promise<OrderDoc[]> {
    const now = this.now();
    const docs = await this.db.adapter.find({
      query: {
        $or: [
          { status: "pending", "saga.leaseUntil": { $lt: now } },
          { status: "paid", "saga.published": false, "saga.leaseUntil": { $lt: now } },
          { status: { $in: ["failed", "cancelled"] }, "saga.cleanup": true, "saga.leaseUntil": { $lt: now } },
        ],
      },
      sort: ["saga.leaseUntil"],
      limit: SWEEP_BATCH,
    });
    return docs.map((doc) => this.db.adapter.afterRetrieveTransformID(doc, "id") as OrderDoc);
  }

  /** One page of orders matching `query`, newest first. */
  async page(query: Record<string, unknown>, page: number, pageSize: number): Promise<{ rows: OrderDoc[]; total: number }> {
    const [docs, total] = await Promise.all([
      // _id breaks createdAt ties, so pages neither repeat nor skip an order.
      this.db.adapter.find({ query, sort: ["-createdAt", "-_id"], offset: (page - 1) * pageSize, limit: pageSize }),
      this.db.adapter.count({ query }),
    ]);
    return { rows: docs.map((doc) => this.db.adapter.afterRetrieveTransformID(doc, "id") as OrderDoc), total };
  }
}
