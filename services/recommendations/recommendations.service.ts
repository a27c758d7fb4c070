/**
 * recommendations: "Customers also bought" (docs/api.md, "Recommendations").
 * Owns the `baskets` collection of the `recommendations` database: the
 * products of each paid order and when it was paid, recorded from the
 * durable `order.paid` events (once per order however often delivered).
 * Co-purchases are counted at read time over the latest baskets holding the
 * products asked about (services/recommendations/co-purchases.ts); what can
 * be offered (listed, in stock) and the fill-up come from the products service.
 */
import { listOf } from "../../contracts/rest/answers";
import type { Service, ServiceSchema } from "moleculer";
import { ChannelsMixin, type ChannelHandler } from "../../mixins/channels.mixin";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { convert, DISPLAY_CURRENCY_PARAM, type CurrencyRate, type Money } from "../../contracts/money-display";
import { PRODUCT_ID_RULE } from "../../contracts/ids";
import { isDuplicateKeyError } from "../../platform/db/db-adapter";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { coPurchased, nearestInPrice, offerable, type Basket } from "./co-purchases";

export interface RecommendationsSettings extends ShopSettings {
  /** A shared order weighs half after this, ms. */
  halfLifeMs: number;
  /** The latest baskets holding the products asked about that are counted. */
  basketsRead: number;
}

/** What this service reads of a product (products.get, products.list and products.getMany answer more). */
interface Product {
  id: string;
  category: string;
  price: number;
  stock: number;
  archived?: boolean;
  reserved?: number;
  [field: string]: unknown;
}

type Recommendation = Product & { reason: "bought_together" | "similar"; display?: Money };

interface RecommendationsMethods extends DbMethods {
  recommend(ctx: ShopContext<unknown>, anchors: Product[], limit: number, currency?: string | null): Promise<Recommendation[]>;
}

type RecommendationsThis = Service<RecommendationsSettings> & RecommendationsMethods;

const LIMIT = { type: "number", integer: true, min: 1, max: 20, default: 4, convert: true };
/** Candidates looked up per answer: room for the sold out and archived ones left out. */
const CANDIDATES = 40;

interface PaidOrder {
  orderId: string;
  order?: { items?: { productId?: unknown }[]; createdAt?: string };
}

/** Baskets are written once per order: a second delivery of the same event finds its own and stops. */
const recordBasket: ChannelHandler<RecommendationsThis, PaidOrder> = async function (this: RecommendationsThis, event) {
  const ids = [...new Set((event.payload.order?.items ?? []).map((item) => item.productId).filter((id): id is string => typeof id === "string"))];
  if (ids.length < 2) return;
  try {
    await this.adapter.insert({ _id: event.payload.orderId, productIds: ids.sort(), paidAt: new Date(event.occurredAt) });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
};

/** The public fields of a product (getMany answers the admin's). */
function shown(product: Product): Product {
  const { reserved: _reserved, archived: _archived, ...rest } = product;
  return rest as Product;
}

const RecommendationsService: ServiceSchema<RecommendationsSettings, RecommendationsMethods> = {
  name: "recommendations",
  mixins: [
    DbMixin({ collection: "baskets", database: "recommendations", indexes: [{ fields: ["productIds", "paidAt"] }] }),
    ChannelsMixin<RecommendationsThis>({ "order.paid": recordBasket }),
  ],

  settings: {
    rest: "/",
    halfLifeMs: 30 * 24 * 3600 * 1000,
    basketsRead: 500,
  },

  actions: {
    forProduct: {
      rest: "GET /products/:id/recommendations",
      openapi: { summary: "Products bought together with this one", description: "From paid orders, weighted to recent ones; filled up with in-stock products of the same category near its price. Never the product itself, nothing sold out or archived.", responses: { 200: listOf("RecommendedProduct", "The recommendations, best first") }, errors: { 404: ["NOT_FOUND"] } },
      auth: false,
      params: { id: PRODUCT_ID_RULE, limit: LIMIT, currency: DISPLAY_CURRENCY_PARAM, $$strict: "remove" },
      async handler(this: RecommendationsThis, ctx: ShopContext<{ id: string; limit: number; currency?: string | null }>) {
        const product = await ctx.call<Product, { id: string }>("products.get", { id: ctx.params.id });
        return this.recommend(ctx, [product], ctx.params.limit, ctx.params.currency);
      },
    },

    forCart: {
      rest: "GET /cart/recommendations",
      openapi: { summary: "Products bought together with the cart's", responses: { 200: listOf("RecommendedProduct", "The recommendations, best first") } },
      auth: "required",
      params: { limit: LIMIT, currency: DISPLAY_CURRENCY_PARAM, $$strict: "remove" },
      async handler(this: RecommendationsThis, ctx: ShopContext<{ limit: number; currency?: string | null }>) {
        const cart = await ctx.call<{ items: { productId: string }[] }, Record<string, never>>("cart.get", {});
        const ids = [...new Set(cart.items.map((item) => item.productId))];
        const anchors = ids.length > 0 ? await ctx.call<Product[], { ids: string[] }>("products.getMany", { ids }) : [];
        return this.recommend(ctx, anchors, ctx.params.limit, ctx.params.currency);
      },
    },
  },

  methods: {
    async recommend(this: RecommendationsThis, ctx: ShopContext<unknown>, anchors: Product[], limit: number, currency?: string | null) {
      // First: an unknown currency is a 422 before any work.
      const rate = currency ? await ctx.call<CurrencyRate, { currency: string }>("currency.rate", { currency }) : null;
      const anchorIds = anchors.map((p) => p.id);
      const chosen: Recommendation[] = [];
      const taken = new Set(anchorIds);
      const take = (products: Product[], reason: Recommendation["reason"]) => {
        for (const product of products) {
          if (chosen.length >= limit) return;
          if (taken.has(product.id) || !offerable(product)) continue;
          taken.add(product.id);
          chosen.push({ ...shown(product), reason });
        }
      };

      if (anchorIds.length > 0) {
        const baskets = (await this.adapter.find({
          query: { productIds: { $in: anchorIds } },
          sort: ["-paidAt"],
          limit: this.settings.basketsRead,
        })) as Basket[];
        const ranked = coPurchased(baskets, anchorIds, new Date(), this.settings.halfLifeMs).slice(0, CANDIDATES);
        if (ranked.length > 0) {
          const found = await ctx.call<Product[], { ids: string[] }>("products.getMany", { ids: ranked.map((r) => r.productId) });
          const byId = new Map(found.map((p) => [p.id, p]));
          take(ranked.flatMap((r) => byId.get(r.productId) ?? []), "bought_together");
        }
      }
      // Too little history: the same category, near in price, for each product asked about in turn.
      for (const anchor of anchors) {
        if (chosen.length >= limit) break;
        if (anchor.archived) continue;
        const page = await ctx.call<{ rows: Product[] }, Record<string, unknown>>("products.list", {
          category: anchor.category,
          minPrice: Math.floor(anchor.price / 2),
          maxPrice: anchor.price * 2,
          inStock: true,
          pageSize: 100,
        });
        take(nearestInPrice(page.rows, anchor.price), "similar");
      }

      return rate ? chosen.map((product) => ({ ...product, display: convert(product.price, rate) })) : chosen;
    },
  },
};

export default RecommendationsService;
