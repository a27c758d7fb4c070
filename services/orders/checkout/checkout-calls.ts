/**
 * The saga's calls (services/orders/checkout/checkout-saga.ts SagaCalls) as actions of products,
 * payments, cart and shipping, with the idempotency keys each callee
 * honours. Every key is derived from the order id (the saga id), so a retry,
 * a recovery after a crash or a second node repeats the same request and
 * gets its first answer:
 *   products.reserve/commit/release/restock   idempotent per orderId
 *   payments.charge      `${orderId}:charge`         payments.refund   `${orderId}:refund` (failed checkout)
 *                                                    or `${orderId}:cancel-refund` (cancelled sale)
 *   payments.void        `${orderId}:void`           (an authorization of a saga before the charge)
 *   payments.closeAuthorization `${orderId}:charge` (the charge's own key: no late one after it)
 * That is also why these calls may be retried by the broker (`retries`):
 * each callee declares `retryPolicy` on exactly these actions. The forward
 * steps are retried here instead (forwardStep), within the request's time.
 */
import type { CardInput } from "../../../contracts/card";
import type { OrderDoc, OrderPaymentStatus } from "../order-model";
import type { PaymentFacts, ReservationState, SagaCalls } from "./checkout-saga";
import { conflict } from "../../../platform/errors";
import { isDefinitive } from "./checkout-failures";

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
const chargeKey = (order: OrderDoc) => `${order.id}:charge`;
const isNotFound = (err: unknown) => (err as { code?: unknown } | null)?.code === 404;

/** Backoff of forwardStep's retries, as the broker's retryPolicy (moleculer.config.ts). */
const RETRY_DELAY_MS = 100;
const NO_ENDPOINT = new Set(["SERVICE_NOT_FOUND", "SERVICE_NOT_AVAILABLE"]);

/**
 * A forward step's call with RETRIES retries, made here rather than by the
 * broker, whose retries each get the whole timeout of the first attempt and
 * so go on long after the client was answered: each attempt goes through
 * `forward` again and gets what is left of the request's time, and none is
 * made once it is up, nor when no node has the action (the broker does not
 * retry that either). With `uncertain`, the failure thrown is the first one
 * that may have reached the callee (a timeout, a node lost meanwhile): a
 * later attempt that was refused (no node left, circuit open, the first
 * still running) says nothing of it, and the first may still land. A
 * decline (402) is the callee's final word on the key.
 */
async function forwardStep<T>(forward: Call, action: string, params: Record<string, unknown>, opts: { uncertain?: boolean } = {}): Promise<T> {
  let failure: unknown;
  let reached: unknown; // the first failure that may have reached the callee
  for (let attempt = 0; attempt <= RETRIES.retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * 2 ** (attempt - 1)));
    try {
      return await forward<T>(action, params, { retries: 0 });
    } catch (err) {
      const { retryable, type } = err as { retryable?: unknown; type?: unknown };
      // The request's time is up: the answer is the failure that used it up.
      if (type === "REQUEST_SKIPPED") {
        failure ??= err;
        break;
      }
      failure = err;
      if (!isDefinitive(err)) reached ??= err;
      if (retryable !== true || NO_ENDPOINT.has(String(type))) break;
    }
  }
  const declined = (failure as { code?: unknown }).code === 402;
  throw opts.uncertain && reached !== undefined && !declined ? reached : failure;
}

/**
 * `forward` runs the steps before the pivot within the request's time (a
 * request that ran out of time stops going forward); `detached` runs
 * everything else on its own timeouts: compensations must not be skipped
 * because the client gave up, and neither may the steps after the pivot.
 */
export function checkoutCalls(forward: Call, detached: Call): SagaCalls {
  return {
    async reserve(order) {
      // Uncertain like authorize: a first attempt that timed out may still reserve, whatever a retry heard.
      const reservation = await forwardStep<{ status: ReservationState }>(forward, "products.reserve", { orderId: order.id, items: lines(order) }, { uncertain: true });
      // reserve answers an earlier reservation of the order as it is: one the sweeper released holds nothing.
      if (reservation.status !== "reserved" && reservation.status !== "committed") {
        throw conflict("The stock reservation of the order was released", "RESERVATION_RELEASED", { orderId: order.id });
      }
    },

    async charge(order, card: CardInput) {
      const params = { orderId: order.id, userId: order.userId, amount: order.total, currency: order.currency, card, idempotencyKey: chargeKey(order) };
      return facts(await forwardStep<Transaction>(forward, "payments.charge", params, { uncertain: true }));
    },

    async commit(order) {
      await detached("products.commit", { orderId: order.id }, RETRIES);
    },

    async clearCart(order) {
      // Only what was bought: lines added to the cart while the checkout ran stay for the next one.
      await detached("cart.clearFor", { userId: order.userId, orderId: order.id, items: lines(order) }, RETRIES);
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

    async payment(order, opts = {}) {
      const moved = async () => {
        const all = await detached<Transaction[]>("payments.listByOrder", { orderId: order.id }, RETRIES);
        const found = all.find((tx) => !NO_MONEY.has(tx.status));
        return found ? facts(found) : null;
      };
      const found = await moved();
      if (found || !opts.closeAuthorization) return found;
      const close = { idempotencyKey: chargeKey(order), operation: "charge" };
      const { state } = await detached<{ state: "closed" | "running" | "done" }>("payments.closeAuthorization", close, RETRIES);
      if (state === "running") throw conflict("The charge of the order is still running", "AUTHORIZATION_RUNNING", { orderId: order.id });
      // It ran between the two looks: its outcome is listed now.
      return state === "done" ? moved() : null;
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
