/**
 * The checkout saga (docs/architecture.md, "Checkout saga"), orchestrated by the
 * orders service over the calls of services/orders/checkout/checkout-calls.ts:
 *
 *   reserve stock -> charge -> commit stock -> clear cart -> paid (with order.paid) -> key answered
 *
 * The payment is charged in one step (payments.charge: authorized and
 * captured in one processor call), since the saga captures at once anyway.
 * The order records only what recovery cannot learn elsewhere, under the
 * saga's lease (services/orders/order-book.ts): that it exists (`created`) and how it
 * ended. Whether stock was reserved or the payment charged is asked of
 * products and payments by the sweeper, whatever the step says, so
 * recording those steps as well would only cost writes (each one a write of
 * the whole order, on NeDB the largest cost of a checkout: bench/README.md).
 * The charge is the pivot: before it, a failure (or the customer
 * cancelling, looked up right before charging) undoes what was done, in
 * reverse: refund the payment if an uncertain charge may have landed,
 * release the stock; the order ends `failed` (or `cancelled`) with the
 * answer the client got. After it, the saga
 * goes forward: only a definitive refusal to commit the stock (the
 * reservation was released) still compensates; a transient one leaves the
 * order pending for the recovery sweeper, which drives it to `paid`.
 *
 * Compensations ask the callee for the truth rather than trusting the flags:
 * `products.release` answers what the reservation is (a committed one is
 * restocked instead), and the payment to undo is the one payments lists for
 * the order. So a step that ran but was not recorded (a crash, a timeout) is
 * undone too. A compensation that cannot be finished (a callee is down), or
 * that may have raced a call still in flight (a timed-out authorization),
 * leaves `saga.cleanup` set: the sweeper runs it again once the lease ran out.
 *
 * The same code serves the request (run), the sweeper after a crash (resume)
 * and cancellation (cancelPending, cancelPaid): the same idempotency keys,
 * so payments and products answer a repeated step with its first result.
 */
import type { CardInput } from "../../../contracts/card";
import { cancelledDuringCheckout, checkoutFailure, compensationPlan, interrupted, isClientError, isDefinitive, type CompensationPlan, type ForwardStep } from "./checkout-failures";
import { CancelRequested, LeaseLost, ownerToken, type OrderBook } from "../order-book";
import type { OrderDoc, OrderPayment, OrderPaymentStatus, SagaStep } from "../order-model";
import type { PublicError } from "../../../platform/public-error";

const messageOf = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** A payment transaction as the saga needs it (no card data exists in it). */
export interface PaymentFacts {
  transactionId: string;
  status: OrderPaymentStatus;
  brand: string;
  last4: string;
}

/** What a stock reservation is, as products answers it; null: the order has none. */
export type ReservationState = "pending" | "reserved" | "committed" | "released" | "restocked" | null;

/**
 * The saga's calls to other services. Forward steps run within the request's
 * time; the undo side (and what follows the pivot) runs on its own timeouts,
 * so a request that ran out of time is still compensated.
 */
export interface SagaCalls {
  reserve(order: OrderDoc): Promise<void>;
  /** Authorizes and captures the order's total in one step: the captured payment. */
  charge(order: OrderDoc, card: CardInput): Promise<PaymentFacts>;
  commit(order: OrderDoc): Promise<void>;
  clearCart(order: OrderDoc): Promise<void>;
  release(order: OrderDoc): Promise<ReservationState>;
  restock(order: OrderDoc): Promise<void>;
  /**
   * The order's payment that went through (authorized or later), newest
   * first; null when none did. With `closeAuthorization`, null also means
   * none ever will: a charge still on its way (its call timed out) is
   * refused by payments from now on; throws while one is running.
   */
  payment(order: OrderDoc, opts?: { closeAuthorization?: boolean }): Promise<PaymentFacts | null>;
  voidPayment(order: OrderDoc, transactionId: string): Promise<PaymentFacts>;
  refund(order: OrderDoc, transactionId: string, idempotencyKey: string): Promise<PaymentFacts>;
  cancelShipment(order: OrderDoc): Promise<void>;
}

export interface SagaLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface SagaDeps {
  /** Every status change it makes is announced by the book, in the same write. */
  book: OrderBook;
  calls: SagaCalls;
  /** Keeps the answer of a finished checkout under its Idempotency-Key. */
  settleKey(order: OrderDoc): Promise<void>;
  logger: SagaLogger;
  /** Called right after each step went through, recorded or not (fault injection for crash tests). */
  afterStep?(step: SagaStep, order: OrderDoc): void;
}

/** Stops a saga where it stands, as a crash would (thrown by fault injection in tests); never compensated. */
export class SagaHalted extends Error {
  constructor(step: SagaStep) {
    super(`Saga halted after step ${step}`);
    this.name = "SagaHalted";
  }
}

/** The payment is captured but the stock could not be committed now: the sweeper finishes the order. */
export class LeftForRecovery extends Error {
  constructor(
    readonly orderId: string,
    cause: unknown,
  ) {
    super(`Order ${orderId} is left pending for recovery: ${messageOf(cause)}`, { cause });
    this.name = "LeftForRecovery";
  }
}

const paymentOf = (facts: PaymentFacts): OrderPayment => ({ status: facts.status, transactionId: facts.transactionId, brand: facts.brand, last4: facts.last4 });

export class CheckoutSaga {
  private readonly book: OrderBook;
  private readonly calls: SagaCalls;

  constructor(private readonly deps: SagaDeps) {
    this.book = deps.book;
    this.calls = deps.calls;
  }

  /** Steps 6 to 12 for a freshly created pending order: the order as it ended (paid, failed or cancelled). */
  async run(created: OrderDoc, card: CardInput): Promise<OrderDoc> {
    let order = created;
    let step: ForwardStep = "reserve";
    try {
      await this.calls.reserve(order);
      order = this.passed(order, "reserved", { reserved: true });
      // The last point where a customer's cancel stops the checkout: a read, the order is not written until it ends.
      if (await this.book.cancelRequested(order)) throw new CancelRequested(order.id);
      step = "charge";
      const charged = await this.calls.charge(order, card);
      order = this.passed({ ...order, payment: paymentOf(charged) }, "captured", { authorized: true, captured: true });
    } catch (err) {
      if (err instanceof LeaseLost || err instanceof SagaHalted) throw err;
      // Nothing was charged yet: the stock is given back.
      if (err instanceof CancelRequested) return this.abandon(order, cancelledDuringCheckout(order.id), { stock: true, payment: false, recheck: false }, "cancelled");
      const failure = checkoutFailure(err, order.id);
      const set = step === "charge" && failure.code === 402 ? { payment: { ...order.payment, status: "declined" } } : {};
      return this.abandon(order, failure, compensationPlan(step, isDefinitive(err)), "failed", set);
    }
    return this.complete(order);
  }

  /** After the pivot: commit the stock, mark the order paid, clear the cart, tell. Shared with recovery. */
  async complete(captured: OrderDoc): Promise<OrderDoc> {
    let order = captured;
    if (!order.saga.committed) {
      try {
        await this.calls.commit(order);
      } catch (err) {
        if (err instanceof SagaHalted) throw err;
        // The reservation is gone (expired, released): the sale cannot stand, the payment is given back.
        if (isClientError(err)) return this.abandon(order, checkoutFailure(err, order.id), compensationPlan("commit", true), "failed");
        // Left to the sweeper at once (lease released), told that the money is taken: it only has to commit.
        const captured = { "saga.step": "captured", "saga.captured": true, payment: order.payment, "saga.leaseUntil": 0 };
        await this.book.amend(order, captured, { "saga.owner": order.saga.owner }, true).catch(() => null);
        throw new LeftForRecovery(order.id, err);
      }
      order = this.passed(order, "committed", { committed: true });
    }
    // The cart is cleared before the paid write, so that write is the order's last: once the stock is
    // committed the sale stands (a crash now has the sweeper find the charge and commit again, a no-op),
    // so nothing is owed after it. The key is settled after it; a crash in between leaves it to the next
    // request with the key, which settles it from the order (inspectKey).
    const cartCleared = order.saga.cartCleared || (await this.clearCart(order));
    const paid = await this.book.finish(order, "paid", "payment captured", {
      payment: order.payment,
      "saga.step": "paid",
      "saga.reserved": true,
      "saga.authorized": true,
      "saga.captured": true,
      "saga.committed": true,
      "saga.cartCleared": cartCleared,
      "saga.published": true,
      "saga.leaseUntil": 0,
    });
    this.deps.afterStep?.("paid", paid);
    await this.deps.settleKey(paid);
    return paid;
  }

  /** Best effort: the order is paid whatever the cart says. */
  private async clearCart(order: OrderDoc): Promise<boolean> {
    try {
      await this.calls.clearCart(order);
      return true;
    } catch (err) {
      this.deps.logger.warn(`The cart of order ${order.id} was not cleared: ${messageOf(err)}`);
      return false;
    }
  }

  /**
   * A paid order marked paid by an earlier version, with the cart and the
   * key still owed (`saga.published` false): clear the cart (best effort)
   * and answer the key; only then is it marked done and the lease released,
   * so a crash in between has the sweeper repeat them.
   */
  private async announcePaid(paid: OrderDoc): Promise<OrderDoc> {
    const cartCleared = paid.saga.cartCleared || (await this.clearCart(paid));
    const announced: OrderDoc = { ...paid, saga: { ...paid.saga, cartCleared } };
    await this.deps.settleKey(announced);
    const set = { "saga.cartCleared": cartCleared, "saga.published": true, "saga.leaseUntil": 0 };
    return (await this.book.amend(paid, set, { "saga.owner": paid.saga.owner }, true)) ?? announced;
  }

  /**
   * A sweeper (or a cancel, or a waiting replay) took over this order's
   * lease: finish what its saga left. A pending order goes on to paid when
   * the payment was captured, and is rolled back otherwise; a paid one gets
   * its cart cleared and its event sent; a failed or cancelled one gets the
   * compensations it still owes. Throws when a callee
   * it needs is down: the lease runs out and the next sweep tries again.
   */
  async resume(order: OrderDoc): Promise<OrderDoc> {
    if (order.status === "paid") return this.announcePaid(order);
    if (order.status !== "pending") return this.cleanUp(order);
    if (order.saga.captured || order.saga.committed) return this.complete(order);
    // The charge is not recorded on the order (nor an authorization of an older saga): whatever the step, payments knows.
    const payment = await this.calls.payment(order);
    if (payment?.status === "captured") {
      const captured = await this.record(order, "captured", { "saga.authorized": true, "saga.captured": true, payment: paymentOf(payment) }, true);
      return this.complete(captured);
    }
    // Its owner may only be slow, not dead: a call of its still in flight could charge late, so payments is asked again later.
    // (A reserve of its may be in flight as well: the stock is released again later, whatever the step.)
    const plan = { stock: true, payment: true, recheck: true };
    if (order.saga.cancelRequested) return this.abandon(order, cancelledDuringCheckout(order.id), plan, "cancelled");
    return this.abandon(order, interrupted(order.id), plan, "failed");
  }

  /**
   * Cancels a pending order: when no live saga holds it, takes it over and
   * rolls it back (or, past the pivot, completes it: the caller then cancels
   * the paid order); else flags it, the running saga stops at its next step.
   * "busy" while the saga runs on.
   */
  async cancelPending(order: OrderDoc): Promise<OrderDoc | "busy"> {
    const claimed = await this.book.claim(order, { "saga.cancelRequested": true });
    if (claimed) return this.resume(claimed);
    await this.book.amend(order, { "saga.cancelRequested": true }, {}, true);
    return "busy";
  }

  /**
   * Cancels a paid order: the status change comes first (it wins or loses
   * against shipping in one conditional update), then the refund, the
   * restock and the shipment's cancellation; what fails of those is owed
   * (saga.cleanup) and retried by the sweeper. null when the order moved on.
   */
  async cancelPaid(order: OrderDoc, reason: string): Promise<OrderDoc | null> {
    // Shipping first: a lost shipment.updated leaves the order "paid" here while its parcel has left, and
    // a refund and restock would give the goods away. Refused (409 ALREADY_SHIPPED): nothing is undone.
    await this.calls.cancelShipment(order);
    const owner = ownerToken();
    const cancelled = await this.book.transition(order, "cancelled", reason, {
      set: { failureReason: reason, "saga.step": "cancelling", "saga.cleanup": true, "saga.owner": owner, "saga.leaseUntil": this.book.now() + this.book.leaseMs },
    });
    if (!cancelled) return null;
    return this.cleanUp(cancelled);
  }

  /** A step that went through and is not recorded (recovery asks the callee): the order as the saga now knows it. */
  private passed(order: OrderDoc, step: SagaStep, flags: Partial<OrderDoc["saga"]>): OrderDoc {
    const now: OrderDoc = { ...order, saga: { ...order.saga, ...flags } };
    this.deps.afterStep?.(step, now);
    return now;
  }

  /** Records a step as the saga's owner; fault injection may stop the saga right after. */
  private async record(order: OrderDoc, step: SagaStep, set: Record<string, unknown>, pivot = false): Promise<OrderDoc> {
    const recorded = await this.book.record(order, step, set, { pivot });
    this.deps.afterStep?.(step, recorded);
    return recorded;
  }

  /** Undoes what `plan` says and ends the order `to` with `failure` as its answer. */
  private async abandon(order: OrderDoc, failure: PublicError, plan: CompensationPlan, to: "failed" | "cancelled", set: Record<string, unknown> = {}): Promise<OrderDoc> {
    const { settled, payment } = await this.compensate(order, plan);
    const cleanup = !settled || plan.recheck;
    const done = await this.book.finish(order, to, failure.message, {
      ...set,
      ...(payment ? { payment } : {}),
      failure,
      failureReason: failure.message,
      "saga.step": to === "failed" ? "compensated" : "cancelled",
      "saga.cleanup": cleanup,
      // Owed compensations wait a full lease: a call that timed out may still land meanwhile.
      "saga.leaseUntil": cleanup ? this.book.now() + this.book.leaseMs : 0,
    });
    await this.deps.settleKey(done);
    return done;
  }

  /** Payment first (the last thing done is undone first), then stock; each independent of the other. */
  private async compensate(order: OrderDoc, plan: CompensationPlan): Promise<{ settled: boolean; payment?: OrderPayment }> {
    let settled = true;
    let payment: OrderPayment | undefined;
    if (plan.payment) {
      try {
        const facts = await this.undoPayment(order, `${order.id}:refund`);
        if (facts) payment = paymentOf(facts);
      } catch (err) {
        settled = false;
        this.deps.logger.warn(`The payment of order ${order.id} is not undone yet (retried later): ${messageOf(err)}`);
      }
    }
    if (plan.stock) {
      try {
        await this.returnStock(order);
      } catch (err) {
        settled = false;
        this.deps.logger.warn(`The stock of order ${order.id} is not given back yet (retried later): ${messageOf(err)}`);
      }
    }
    return { settled, payment };
  }

  /** Runs the compensations a failed or cancelled order still owes, and clears the debt once they all went through. */
  private async cleanUp(order: OrderDoc): Promise<OrderDoc> {
    // A cancelled paid order gives back a sale (refund, restock, shipment); any other a checkout's holds.
    const sale = order.status === "cancelled" && order.saga.committed;
    const { settled, payment } = await this.compensate(order, { stock: true, payment: true, recheck: false });
    let shipmentCancelled = true;
    if (sale) {
      try {
        await this.calls.cancelShipment(order);
      } catch (err) {
        // Refused (the parcel has left): trying again will not help, a person must get it back.
        if (isClientError(err)) this.deps.logger.error(`Order ${order.id} was cancelled and refunded but its parcel has left: ${messageOf(err)}`);
        else {
          shipmentCancelled = false;
          this.deps.logger.warn(`The shipment of cancelled order ${order.id} is not cancelled yet (retried later): ${messageOf(err)}`);
        }
      }
    }
    const done = settled && shipmentCancelled;
    const set = {
      ...(payment ? { payment } : {}),
      ...(order.saga.step === "cancelling" && done ? { "saga.step": "cancelled" } : {}),
      "saga.cleanup": !done,
      "saga.leaseUntil": done ? 0 : this.book.now() + this.book.leaseMs,
    };
    // Only a changed payment is news to the customer; the rest is the saga's own bookkeeping.
    return (await this.book.amend(order, set, { "saga.owner": order.saga.owner }, !payment)) ?? order;
  }

  /** Refunds a charge (or voids an authorization of an older saga), whichever payments says the order has. */
  private async undoPayment(order: OrderDoc, refundKey: string): Promise<PaymentFacts | null> {
    // Nothing to undo must stay so: a charge that timed out may land after this look.
    const payment = await this.calls.payment(order, { closeAuthorization: true });
    if (!payment) return null;
    if (payment.status === "authorized") return this.calls.voidPayment(order, payment.transactionId);
    if (payment.status === "captured" || payment.status === "partially_refunded") {
      // A cancelled sale is refunded under its own key: it is a different request than a failed checkout's refund.
      const key = order.status === "cancelled" && order.saga.committed ? `${order.id}:cancel-refund` : refundKey;
      return this.calls.refund(order, payment.transactionId, key);
    }
    return payment;
  }

  /** Releases the reservation; one already committed (sold) is restocked instead. */
  private async returnStock(order: OrderDoc): Promise<void> {
    const state = await this.calls.release(order);
    if (state === "committed") await this.calls.restock(order);
  }
}
