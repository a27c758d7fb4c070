/**
 * The saga's calls (lib/checkout-saga.ts SagaCalls) as actions of products,
 * payments, cart and shipping, with the idempotency keys each callee
 * honours. Every key is derived from the order id (the saga id), so a retry,
 * a recovery after a crash or a second node repeats the same request and
 * gets its first answer:
 *   products.reserve/commit/release/restock   idempotent per orderId
 *   payments.authorize   `${orderId}:authorize`      payments.capture  `${orderId}:capture`
 *   payments.void        `${orderId}:void`           payments.refund   `${orderId}:refund` (failed checkout)
 *                                                    or `${orderId}:cancel-refund` (cancelled sale)
 * That is also why these calls may be retried by the broker (`retries`):
 * each callee declares `retryPolicy` on exactly these actions.
 */
import type { CardInput } from "./card";
import type { OrderDoc, OrderPaymentStatus } from "./order-model";
import type { PaymentFacts, ReservationState, SagaCalls } from "./checkout-saga";
import { conflict } from "./errors";

/** ctx.call or broker.call, bound to the request when there is one. */
export type Call = <T>(action: string, params: Record<string, unknown>, opts?: { retries?: number }) => Promise<T>;

interface Transaction {
  id: string;
  status: OrderPaymentStatus;
  brand: string;
  last4: string;
}

/** Broker retries of calls that are safe to repeat (reads, keyed writes). */
export const RETRIES = { retries: 2 };

/** Transactions that moved no money: a decline, a processor that was unreachable. */
const NO_MONEY = new Set(["declined", "failed"]);

const facts = (tx: Transaction): PaymentFacts => ({ transactionId: String(tx.id), status: tx.status, brand: tx.brand, last4: tx.last4 });
const lines = (order: OrderDoc) => order.items.map(({ productId, quantity }) => ({ productId, quantity }));
const isNotFound = (err: unknown) => (err as { code?: unknown } | null)?.code === 404;

/**
 * `forward` runs the steps before the pivot within the request's time (a
 * request that ran out of time stops going forward); `detached` runs
 * everything else on its own timeouts: compensations must not be skipped
 * because the client gave up, and neither may the steps after the pivot.
 */
export function checkoutCalls(forward: Call, detached: Call): SagaCalls {
  return {
    async reserve(order) {
      const reservation = await forward<{ status: ReservationState }>("products.reserve", { orderId: order.id, items: lines(order) }, RETRIES);
      // reserve answers an earlier reservation of the order as it is: one the sweeper released holds nothing.
      if (reservation.status !== "reserved" && reservation.status !== "committed") {
        throw conflict("The stock reservation of the order was released", "RESERVATION_RELEASED", { orderId: order.id });
      }
    },

    async authorize(order, card: CardInput) {
      const params = { orderId: order.id, userId: order.userId, amount: order.total, currency: order.currency, card, idempotencyKey: `${order.id}:authorize` };
      return facts(await forward<Transaction>("payments.authorize", params, RETRIES));
    },

    async capture(order, transactionId) {
      return facts(await forward<Transaction>("payments.capture", { transactionId, idempotencyKey: `${order.id}:capture` }, RETRIES));
    },

    async commit(order) {
      await detached("products.commit", { orderId: order.id }, RETRIES);
    },

    async clearCart(order) {
      await detached("cart.clearFor", { userId: order.userId }, RETRIES);
    },

    async release(order) {
      try {
        return (await detached<{ status: ReservationState }>("products.release", { orderId: order.id }, RETRIES)).status;
      } catch (err) {
        if (isNotFound(err)) return null; // nothing was reserved
        throw err;
      }
    },

    async restock(order) {
      await detached("products.restock", { orderId: order.id }, RETRIES);
    },

    async payment(order) {
      const all = await detached<Transaction[]>("payments.listByOrder", { orderId: order.id }, RETRIES);
      const moved = all.find((tx) => !NO_MONEY.has(tx.status));
      return moved ? facts(moved) : null;
    },

    async voidPayment(order, transactionId) {
      return facts(await detached<Transaction>("payments.void", { transactionId, idempotencyKey: `${order.id}:void` }, RETRIES));
    },

    async refund(_order, transactionId, idempotencyKey) {
      return facts(await detached<Transaction>("payments.refund", { transactionId, idempotencyKey }, RETRIES));
    },

    async cancelShipment(order) {
      try {
        await detached("shipping.cancel", { orderId: order.id }, RETRIES);
      } catch (err) {
        if (!isNotFound(err)) throw err; // no shipment: nothing to stop
      }
    },
  };
}
