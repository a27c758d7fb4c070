/**
 * The life of an order, decided here alone:
 *
 *   pending -> paid -> shipped -> delivered
 *   pending -> cancelled, paid -> cancelled      (before it ships)
 *   pending -> failed                             (the checkout saga gave up and compensated)
 *
 * delivered, cancelled and failed are final. A change is written as one
 * conditional update on the status it leaves (`transitionUpdate`), so of two
 * writers racing (two nodes, a request and the sweeper, a duplicated event)
 * exactly one moves the order; and every change appends `{status, at,
 * reason}` to the order's history in that same write.
 */
import { conflict } from "../../platform/errors";

export const ORDER_STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "failed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ["paid", "cancelled", "failed"],
  paid: ["shipped", "cancelled"],
  shipped: ["delivered"],
  delivered: [],
  cancelled: [],
  failed: [],
};

export interface StatusChange {
  status: OrderStatus;
  /** ISO 8601. */
  at: string;
  reason: string;
}

export interface Transition {
  /** Added to the order's own filter (`_id`): the update applies only while the order is still `from`. */
  filter: { status: OrderStatus };
  update: { $set: Record<string, unknown>; $push: { history: StatusChange } };
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** No status follows these. */
export function isFinal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Once the parcel has left, the order can no longer be cancelled. */
export function hasShipped(status: OrderStatus): boolean {
  return status === "shipped" || status === "delivered";
}

/** The 409 of a change the table does not allow, worded for the client. */
export function invalidTransition(from: OrderStatus, to: OrderStatus) {
  if (to === "cancelled" && hasShipped(from)) {
    return conflict("The order has already shipped: it can no longer be cancelled", "ALREADY_SHIPPED", { status: from });
  }
  return conflict(`An order that is ${from} cannot become ${to}`, "INVALID_TRANSITION", { status: from, to });
}

/**
 * The conditional update that moves an order from `from` to `to`, with the
 * history entry and any fields that change with it (`set`); throws the 409
 * of invalidTransition when the table does not allow it.
 */
export function transitionUpdate(from: OrderStatus, to: OrderStatus, change: { at: string; reason: string; set?: Record<string, unknown> }): Transition {
  if (!canTransition(from, to)) throw invalidTransition(from, to);
  const { at, reason, set = {} } = change;
  return {
    filter: { status: from },
    update: { $set: { ...set, status: to, updatedAt: at }, $push: { history: { status: to, at, reason } } },
  };
}
