/**
 * What happens to an order after its checkout: the customer cancels it,
 * an admin ships it, shipping reports it delivered. The orders service's
 * actions for these and its `shipment.updated` listener; every status change
 * goes through services/orders/order-book.ts (one conditional update with its history
 * entry), so a request racing another, or an event delivered twice, changes
 * the order at most once and announces it once.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { conflict, notFound } from "../../platform/errors";
import { RETRIES, type Call } from "./checkout/checkout-calls";
import type { CheckoutSaga } from "./checkout/checkout-saga";
import type { OrderBook } from "./order-book";
import { publicOrder, type OrderDoc } from "./order-model";
import { hasShipped, invalidTransition } from "./order-state";
import { ORDER_ID_RULE } from "../../contracts/ids";
import { sleep } from "../../platform/sleep";

/** What these handlers use of the orders service. */
export interface OrdersHost {
  book: OrderBook;
  logger: Service["logger"];
  /** The book announcing its changes with the request's id. */
  bookFor(ctx?: Context): OrderBook;
  saga(ctx?: ShopContext<unknown>): CheckoutSaga;
  detachedCall(ctx?: ShopContext<unknown>): Call;
  ownOrder(ctx: ShopContext<{ id: string }>): Promise<OrderDoc>;
}

interface Shipment {
  orderId: string;
  carrier: string;
  trackingNumber: string;
  status: string;
  method: string;
  estimatedDays: number;
  history: { status: string; at: string }[];
  createdAt: string;
  updatedAt: string;
}

/** What `shipment.updated` carries (services/shipping/shipments.ts shipmentEvent). */
interface ShipmentUpdate {
  orderId?: unknown;
  status?: unknown;
  carrier?: unknown;
  trackingNumber?: unknown;
}

type HostSchema = ServiceSchema<ShopSettings, Record<string, never>, Record<string, never>, OrdersHost>;
type Actions = NonNullable<HostSchema["actions"]>;

/** The shipment's statuses once the carrier has a label: the order counts as shipped. */
const ON_ITS_WAY = new Set(["label_created", "in_transit", "out_for_delivery", "delivered"]);
const POLL_MS = 50;
const CANCEL_WAIT_MS = 5_000;

const isNotFound = (err: unknown) => (err as { code?: unknown } | null)?.code === 404;

/** What a customer sees of a shipment: no address (it is on the order) and no internal ids. */
function publicShipment(s: Shipment) {
  const { orderId, carrier, trackingNumber, status, method, estimatedDays, createdAt, updatedAt } = s;
  return { orderId, carrier, trackingNumber, status, method, estimatedDays, history: s.history.map(({ status: st, at }) => ({ status: st, at })), createdAt, updatedAt };
}

/** paid -> shipped with the tracking facts, announced once; null when the order was not paid any more. */
async function markShipped(svc: OrdersHost, order: OrderDoc, ref: { carrier: string; trackingNumber: string }, reason: string, ctx?: Context) {
  return svc.bookFor(ctx).transition(order, "shipped", reason, { set: { shipment: { carrier: ref.carrier, trackingNumber: ref.trackingNumber } } });
}

export function fulfilmentActions(): Actions {
  return {
    /** Before it ships: paid -> refund, restock, shipment cancelled; pending -> rolled back. Twice: the cancelled order. */
    cancel: {
      rest: "POST /orders/:id/cancel",
      auth: "required",
      // Cancelling a cancelled order changes nothing: safe to retry.
      retryPolicy: { enabled: true },
      params: { id: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: OrdersHost, ctx: ShopContext<{ id: string }>) {
        let order: OrderDoc | null = await this.ownOrder(ctx);
        const reason = order?.userId === ctx.meta.user?.id ? "cancelled by the customer" : "cancelled by the shop";
        const deadline = Date.now() + CANCEL_WAIT_MS;
        for (;;) {
          if (!order) throw notFound("Order", { id: ctx.params.id });
          if (order.status === "cancelled") return publicOrder(order);
          if (order.status === "paid") {
            const cancelled = await this.saga(ctx).cancelPaid(order, reason);
            if (cancelled) return publicOrder(cancelled);
          } else if (order.status === "pending") {
            // A paid result (the saga was past capturing) is cancelled on the next round.
            const outcome = await this.saga(ctx).cancelPending(order);
            if (outcome !== "busy" && outcome.status === "cancelled") return publicOrder(outcome);
          } else {
            throw invalidTransition(order.status, "cancelled");
          }
          if (Date.now() >= deadline) throw conflict("The order's checkout is still running: try again shortly", "ORDER_BUSY", { id: order.id });
          await sleep(POLL_MS);
          order = await this.book.get(ctx.params.id);
        }
      },
    },

    shipment: {
      rest: "GET /orders/:id/shipment",
      auth: "required",
      retryPolicy: { enabled: true },
      params: { id: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: OrdersHost, ctx: ShopContext<{ id: string }>) {
        const order = await this.ownOrder(ctx);
        try {
          return publicShipment(await ctx.call<Shipment, { orderId: string }>("shipping.get", { orderId: String(order.id) }, RETRIES));
        } catch (err) {
          if (isNotFound(err)) throw notFound("Shipment", { orderId: order.id });
          throw err;
        }
      },
    },

    /** A paid order gets its shipment (carrier, tracking number) and becomes shipped; 409 from any other status. */
    ship: {
      rest: "POST /admin/orders/:id/ship",
      roles: ["admin"],
      params: { id: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: OrdersHost, ctx: ShopContext<{ id: string }>) {
        const order = await this.book.get(ctx.params.id);
        if (!order) throw notFound("Order", { id: ctx.params.id });
        if (order.status !== "paid") throw invalidTransition(order.status, "shipped");
        const { id, userId, shippingAddress: address, shippingMethod: method, items } = order;
        const lines = items.map(({ productId, quantity }) => ({ productId, quantity }));
        // Idempotent per order: a retried ship finds the same shipment.
        const shipment = await ctx.call<Shipment, Record<string, unknown>>("shipping.create", { orderId: String(id), userId, address, method, items: lines }, RETRIES);
        const shipped = await markShipped(this, order, shipment, "shipped by an admin", ctx);
        if (shipped) return publicOrder(shipped);
        const current = await this.book.get(String(id));
        // The shipment's own event got there first.
        if (current && hasShipped(current.status)) return publicOrder(current);
        // Cancelled meanwhile: the parcel must not leave.
        await this.detachedCall(ctx)("shipping.cancel", { orderId: String(id) }, RETRIES).catch((err: unknown) =>
          this.logger.error(`Order ${id} was cancelled while it shipped; its shipment is not cancelled: ${(err as Error).message}`),
        );
        throw invalidTransition(current?.status ?? order.status, "shipped");
      },
    },
  };
}

export function shipmentEvents(): NonNullable<HostSchema["events"]> {
  return {
    /** The carrier's progress: a paid order becomes shipped, then delivered. A repeated event finds nothing to change. */
    "shipment.updated": {
      async handler(this: OrdersHost, ctx: Context<ShipmentUpdate>) {
        const { orderId, status, carrier, trackingNumber } = ctx.params;
        if (typeof orderId !== "string" || typeof status !== "string" || !ON_ITS_WAY.has(status)) return;
        let order = await this.book.get(orderId);
        if (!order) return; // not an order of this shop's checkout (a shipment made by hand)
        if (order.status === "paid") {
          const ref = { carrier: String(carrier), trackingNumber: String(trackingNumber) };
          order = (await markShipped(this, order, ref, `shipment ${status.replace(/_/g, " ")}`, ctx)) ?? (await this.book.get(orderId));
        }
        if (status === "delivered" && order?.status === "shipped") {
          await this.bookFor(ctx).transition(order, "delivered", "delivered by the carrier");
        }
      },
    },
  };
}
