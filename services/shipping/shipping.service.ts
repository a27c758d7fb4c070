/**
 * shipping: shipping quotes for the checkout, and one shipment per order
 * with a carrier, a tracking number and a status history. Owns the
 * `shipments` collection of the `shipping` database.
 *
 * Called by the orders service (quote, create, get, cancel); admins move a
 * shipment along through REST (advance), or the simulated carrier does it
 * every SHIPPING_CARRIER_TIMER seconds (off by default). Every change is
 * told in `shipment.updated`, which the orders service follows to mark orders
 * shipped and delivered.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { config } from "../../platform/config";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { addressRule, type Address } from "../../contracts/address";

import { assertCancellable, MOVING_STATUSES, nextStatus, type ShipmentStatus } from "./shipment-state";
import { quoteShipping, serviceFor, RATE_CURRENCY, zoneOf, type Quote } from "./shipping-rates";
import { carriedWeights, ITEMS_RULE, QUOTE_ADDRESS_RULE, QUOTE_ITEMS_RULE, SHIPMENT_INDEXES, shipmentEvent, toShipment, totalWeight, trackingNumber, type Shipment, type ShipmentDoc, type WeighedLine } from "./shipments";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { ChannelsMixin, type ChannelHandler } from "../../mixins/channels.mixin";
import { PoisonEventError } from "../../platform/events/dispatch";
import { type StockLine } from "../../contracts/stock-lines";
import { type ShippingMethod, METHOD_RULE } from "../../contracts/shipping-methods";
import { ORDER_ID_RULE } from "../../contracts/ids";
import { answer } from "../../contracts/rest/answers";

export interface ShippingSettings extends ShopSettings {
  originCountry: string;
  /** Subtotal (cents of RATE_CURRENCY) from which standard shipping is free; 0: never. */
  freeShippingThreshold: number;
  /** The simulated carrier moves each shipment one step after this long in a status; 0: off. */
  carrierTimerMs: number;
}

interface ShippingVars {
  carrierTimer?: NodeJS.Timeout;
  carrierRun?: Promise<number>;
}

interface ShippingMethods extends DbMethods {
  weightOf(ctx: Context, items: WeighedLine[]): Promise<number>;
  shipmentOf(orderId: string): Promise<ShipmentDoc | null>;
  move(ctx: Context | undefined, doc: ShipmentDoc, to: ShipmentStatus): Promise<ShipmentDoc | null>;
  announce(ctx: Context | undefined, doc: ShipmentDoc): void;
  carrierTick(nowMs?: number): Promise<number>;
}

type ShippingThis = Service<ShippingSettings> & ShippingVars & ShippingMethods;

interface QuoteParams {
  items: WeighedLine[];
  address: Pick<Address, "country">;
  method: ShippingMethod;
  subtotal?: number;
  currency?: string;
}
interface CreateParams {
  orderId: string;
  userId: string;
  address: Address;
  method: ShippingMethod;
  items?: StockLine[];
}

/** Attempts at a fresh tracking number when one clashes (about never). */
const TRACKING_ATTEMPTS = 3;
const CARRIER_BATCH = 100;

const now = () => new Date().toISOString();

/**
 * Durable `order.cancelled`: a shipment whose parcel has not left is
 * cancelled with the `cancel` action. No shipment yet, or one already on its
 * way (ALREADY_SHIPPED), leaves nothing to do here: the event is acked.
 */
const cancelShipmentOfOrder: ChannelHandler<ShippingThis, { orderId?: unknown }> = async function (event, ctx) {
  const { orderId } = event.payload;
  if (typeof orderId !== "string") throw new PoisonEventError("order.cancelled without an orderId");
  try {
    await this.actions.cancel({ orderId }, { parentCtx: ctx });
  } catch (err) {
    const { code, type } = err as { code?: unknown; type?: unknown };
    if (code === 404 || type === "ALREADY_SHIPPED") {
      this.logger.info(`order.cancelled ${orderId}: ${code === 404 ? "no shipment" : "already shipped"}, nothing to cancel`);
      return;
    }
    throw err;
  }
};

const ShippingService: ServiceSchema<ShippingSettings, ShippingMethods, ShippingVars> = {
  name: "shipping",
  mixins: [
    DbMixin({ collection: "shipments", database: "shipping", indexes: SHIPMENT_INDEXES }),
    ChannelsMixin<ShippingThis>({ "order.cancelled": cancelShipmentOfOrder }),
  ],

  settings: {
    rest: "/",
    originCountry: config.shippingOriginCountry,
    freeShippingThreshold: config.freeShippingThreshold,
    carrierTimerMs: config.shippingCarrierTimerSec * 1000,
  },

  actions: {
    /** `{method, amount, currency, carrier, estimatedDays, zone, weightGrams, free}`; one products.getMany call for the weights. */
    quote: {
      // Public: the storefront prices the cart's shipping before anyone signs in.
      rest: "POST /shipping/quote",
      openapi: { summary: "Price shipping for some products to an address", responses: { 200: answer("ShippingQuote", "The quote for the method asked") }, errors: { 404: ["NOT_FOUND"] } },
      auth: false,
      retryPolicy: { enabled: true },
      params: {
        items: QUOTE_ITEMS_RULE,
        address: QUOTE_ADDRESS_RULE,
        method: METHOD_RULE,
        subtotal: { type: "number", integer: true, min: 0, optional: true },
        currency: { type: "string", pattern: /^[A-Z]{3}$/, optional: true },
        $$strict: "remove",
      },
      async handler(this: ShippingThis, ctx: ShopContext<QuoteParams>): Promise<Quote> {
        const { items, address, method, subtotal, currency } = ctx.params;
        if (currency != null && currency !== RATE_CURRENCY) {
          throw unprocessable("Unsupported currency", [{ field: "currency", message: `Shipping is quoted in ${RATE_CURRENCY} only.`, type: "currency" }]);
        }
        return quoteShipping({
          method,
          origin: this.settings.originCountry,
          destination: address.country,
          weightGrams: await this.weightOf(ctx, items),
          subtotal: subtotal ?? undefined,
          freeThreshold: this.settings.freeShippingThreshold,
        });
      },
    },

    /** The order's shipment, label created; again for the same order answers the same shipment. */
    create: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: {
        orderId: ORDER_ID_RULE,
        userId: { type: "string", min: 1, max: 100 },
        address: addressRule,
        method: METHOD_RULE,
        items: { ...ITEMS_RULE, optional: true },
        $$strict: "remove",
      },
      async handler(this: ShippingThis, ctx: ShopContext<CreateParams>): Promise<Shipment> {
        const { orderId, userId, address, method, items } = ctx.params;
        const same = (doc: ShipmentDoc) => {
          if (doc.method !== method) throw conflict("The order already has a shipment with another method", "SHIPMENT_EXISTS", { orderId, method: doc.method });
          return toShipment(doc);
        };
        const existing = await this.shipmentOf(orderId);
        if (existing) return same(existing);

        const { carrier, estimatedDays } = serviceFor(method, zoneOf(this.settings.originCountry, address.country));
        const weightGrams = items ? await this.weightOf(ctx, items) : null;
        const at = now();
        for (let attempt = 1; ; attempt++) {
          const doc: Omit<ShipmentDoc, "id"> = {
            orderId,
            userId,
            method,
            carrier: carrier.name,
            trackingNumber: trackingNumber(carrier),
            status: "label_created",
            address,
            items: items ?? [],
            weightGrams,
            estimatedDays,
            history: [{ status: "label_created", at }],
            createdAt: at,
            updatedAt: at,
          };
          try {
            const created = (await this.insertEntity(doc, "orderId")) as ShipmentDoc;
            this.announce(ctx, created);
            return toShipment(created);
          } catch (err) {
            if ((err as { code?: unknown }).code !== 409) throw err;
            // A concurrent create of the same order won the unique index: answer its shipment.
            const winner = await this.shipmentOf(orderId);
            if (winner) return same(winner);
            if (attempt >= TRACKING_ATTEMPTS) throw err; // not the order: the tracking number clashed
          }
        }
      },
    },

    get: {
      rest: "GET /admin/shipments/:orderId",
      openapi: {
        summary: "Read the shipment of an order",
        responses: { 200: answer("Shipment", "The shipment") },
        errors: { 404: ["NOT_FOUND"] },
      },
      roles: ["admin"],
      retryPolicy: { enabled: true },
      params: { orderId: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: ShippingThis, ctx: ShopContext<{ orderId: string }>): Promise<Shipment> {
        const doc = await this.shipmentOf(ctx.params.orderId);
        if (!doc) throw notFound("Shipment", { orderId: ctx.params.orderId });
        return toShipment(doc);
      },
    },

    /** One step along label_created -> in_transit -> out_for_delivery -> delivered; 409 past the end or when cancelled. */
    advance: {
      rest: "POST /admin/shipments/:orderId/advance",
      openapi: {
        summary: "Move a shipment one step towards delivery",
        description: "label_created, in_transit, out_for_delivery, delivered.",
        responses: { 200: answer("Shipment", "The shipment one step further") },
        errors: { 404: ["NOT_FOUND"], 409: ["INVALID_TRANSITION", "CONCURRENT_UPDATE"] },
      },
      roles: ["admin"],
      // Not retried: each call is one more step.
      params: { orderId: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: ShippingThis, ctx: ShopContext<{ orderId: string }>): Promise<Shipment> {
        const doc = await this.shipmentOf(ctx.params.orderId);
        if (!doc) throw notFound("Shipment", { orderId: ctx.params.orderId });
        const moved = await this.move(ctx, doc, nextStatus(doc.status));
        if (!moved) throw conflict("The shipment changed meanwhile, try again", "CONCURRENT_UPDATE", { orderId: doc.orderId });
        return toShipment(moved);
      },
    },

    /** label_created -> cancelled; again on a cancelled one changes nothing; 409 once shipped. */
    cancel: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { orderId: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: ShippingThis, ctx: ShopContext<{ orderId: string }>): Promise<Shipment> {
        const doc = await this.shipmentOf(ctx.params.orderId);
        if (!doc) throw notFound("Shipment", { orderId: ctx.params.orderId });
        assertCancellable(doc.status);
        if (doc.status === "cancelled") return toShipment(doc);
        const moved = await this.move(ctx, doc, "cancelled");
        if (moved) return toShipment(moved);
        // It moved between the read and the write: answer from what it is now.
        const current = (await this.shipmentOf(doc.orderId)) as ShipmentDoc;
        assertCancellable(current.status);
        return toShipment(current);
      },
    },
  },

  methods: {
    async weightOf(ctx: Context, items: WeighedLine[]) {
      let weights = carriedWeights(items);
      if (!weights) {
        const ids = [...new Set(items.map((line) => line.productId))];
        const products = await ctx.call<{ id: string; weightGrams?: number }[], { ids: string[] }>("products.getMany", { ids });
        weights = new Map(products.map((p) => [p.id, p.weightGrams ?? 0]));
      }
      const { grams, unknown } = totalWeight(items, weights);
      if (unknown !== null) throw notFound("Product", { productId: unknown });
      return grams;
    },

    async shipmentOf(orderId: string) {
      const doc = await this.adapter.findOne({ orderId });
      return doc ? (this.adapter.afterRetrieveTransformID(doc, "id") as ShipmentDoc) : null;
    },

    /** One conditional step from the status that was read; null when someone else moved it first. */
    async move(ctx: Context | undefined, doc: ShipmentDoc, to: ShipmentStatus) {
      const at = now();
      const moved = (await this.updateWhere(
        { _id: doc.id, status: doc.status },
        { $set: { status: to, updatedAt: at }, $push: { history: { status: to, at } } },
      )) as ShipmentDoc | null;
      if (moved) this.announce(ctx, moved);
      return moved;
    },

    announce(ctx: Context | undefined, doc: ShipmentDoc) {
      const payload = shipmentEvent(doc);
      (ctx ? ctx.emit("shipment.updated", payload) : this.broker.emit("shipment.updated", payload)).catch((err: unknown) =>
        this.logger.warn(`shipment.updated for order ${doc.orderId} not sent: ${(err as Error).message}`),
      );
    },

    /** The simulated carrier: every shipment still moving that sat a full interval in its status goes one step on. */
    carrierTick(nowMs = Date.now()) {
      this.carrierRun ??= (async () => {
        const before = new Date(nowMs - this.settings.carrierTimerMs).toISOString();
        const due = await this.adapter.find({ query: { status: { $in: MOVING_STATUSES }, updatedAt: { $lte: before } }, sort: ["updatedAt"], limit: CARRIER_BATCH });
        let moved = 0;
        for (const raw of due) {
          const doc = this.adapter.afterRetrieveTransformID(raw, "id") as ShipmentDoc;
          // Another node's carrier (or an admin) may move it first: that one step is enough.
          if (await this.move(undefined, doc, nextStatus(doc.status))) moved++;
        }
        return moved;
      })().finally(() => {
        this.carrierRun = undefined;
      });
      return this.carrierRun;
    },
  },

  started() {
    const every = this.settings.carrierTimerMs;
    if (every > 0) {
      this.carrierTimer = setInterval(() => {
        this.carrierTick().catch((err: unknown) => this.logger.error("The simulated carrier failed", err));
      }, every);
    }
  },

  async stopped() {
    if (this.carrierTimer) clearInterval(this.carrierTimer);
    await this.carrierRun?.catch(() => undefined);
  },
};

export default ShippingService;
