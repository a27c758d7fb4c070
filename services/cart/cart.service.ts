/**
 * cart: one cart per user (docs/api.md "Cart"), kept in Redis (REDIS_URL) or, in
 * embedded mode, in this process (services/cart/cart-store.ts). Owns the carts; reads
 * products only through `products.getMany`, once per request.
 *
 * REST actions act on the caller's own cart: the user id comes from
 * ctx.meta.user and from nowhere else, so no request can name another cart.
 * The internal actions (`contentsOf`, `clearFor`) take an explicit userId for
 * the checkout saga, whose recovery sweeper runs without a user.
 *
 * Where docs/api.md is silent:
 * - every route answers the cart as GET /cart does, so a client never needs a
 *   second request to show it; POST answers 201 when it created the line, 200
 *   when it merged into one;
 * - PATCH changes a line that is in the cart (404 otherwise; it never creates
 *   one), and quantity 0 removes it like DELETE; DELETE of an absent line is
 *   not an error (two tabs removing the same line both succeed);
 * - a 101st product is 409 CART_FULL (the cart's state refuses it, the request
 *   itself is valid); a line over 999 units is 422 on `quantity`;
 * - one currency per cart: a product in another one is 409 CURRENCY_MISMATCH;
 * - totals count only lines that can be bought as they stand (services/cart/cart-view.ts).
 *
 * The stock checked here is a courtesy at write time: stock moves on its own,
 * GET /cart flags the lines it no longer covers, and the checkout's
 * reservation is what really holds units.
 */
import { DISPLAY_CURRENCY_PARAM, type CurrencyRate } from "../../contracts/money-display";
import { displayedCart } from "./cart-display";
import type { StockLine } from "../../contracts/stock-lines";
import type { Service, ServiceSchema } from "moleculer";
import { config } from "../../platform/config";
import { unauthorized, unavailable } from "../../platform/errors";
import { CartStoreUnavailableError, MemoryCartStore, type CartLine, type CartStore } from "./cart-store";
import { commandTimeoutWithin, RedisCartStore } from "./cart-redis-store";
import { cartCurrency, priceCart, type CartView, type Catalog, type CatalogProduct } from "./cart-view";
import { ADD_QUANTITY_RULE, cartFull, currencyMismatch, lineNotFound, lineTooLarge, MAX_CART_LINES, MAX_LINE_QUANTITY, notEnoughStock, productNotFound, SET_QUANTITY_RULE } from "./cart-rules";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { ORDER_ID_RULE, PRODUCT_ID_RULE, USER_ID_RULE } from "../../contracts/ids";
import { answer } from "../../contracts/rest/answers";

export interface CartSettings extends ShopSettings {
  /** Redis for the carts; none: in-process carts (embedded mode). */
  redisUrl: string | undefined;
  /** `<namespace>:cart:`, followed by the user id. */
  keyPrefix: string;
  ttlSec: number;
  maxLines: number;
  /** Each Redis command fails after this long; several fit in one request timeout. */
  commandTimeoutMs: number;
}

interface CartVars {
  store: CartStore;
}

interface CartMethods {
  /** The store the service uses; tests override it to inject one. */
  createStore(): CartStore;
  callerId(ctx: ShopContext<unknown>): string;
  /** Runs a store operation; an unreachable store becomes a 503. */
  stored<T>(operation: Promise<T>): Promise<T>;
  /** The products of `ids` in one call; an unknown id maps to null (asked, not found). */
  catalog(ctx: ShopContext<unknown>, ids: string[]): Promise<Catalog>;
  /** Prices `lines`, fetching only the products `known` lacks. */
  view(ctx: ShopContext<unknown>, lines: CartLine[], known?: Catalog): Promise<CartView>;
}

type CartThis = Service<CartSettings> & CartVars & CartMethods;

interface ItemParams {
  productId: string;
  quantity: number;
}

const CartService: ServiceSchema<CartSettings, CartMethods, CartVars> = {
  name: "cart",

  settings: {
    rest: "/",
    // Kept out of the service descriptor other nodes receive: the URL may carry a password.
    $secureSettings: ["redisUrl"],
    redisUrl: config.redisUrl,
    keyPrefix: `${config.namespace}:cart:`,
    ttlSec: config.cartTtlSec,
    maxLines: MAX_CART_LINES,
    commandTimeoutMs: commandTimeoutWithin(config.requestTimeoutMs),
  },

  actions: {
    get: {
      rest: "GET /cart",
      openapi: {
        summary: "Read the caller's cart",
        responses: { 200: answer("Cart", "The cart at current catalog prices") },
      },
      auth: "required",
      retryPolicy: { enabled: true },
      params: { currency: DISPLAY_CURRENCY_PARAM, $$strict: "remove" },
      async handler(this: CartThis, ctx: ShopContext<{ currency?: string | null }>) {
        const { currency } = ctx.params;
        const rate = currency ? ctx.call<CurrencyRate, { currency: string }>("currency.rate", { currency }) : Promise.resolve(null);
        const lines = this.stored(this.store.lines(this.callerId(ctx))).then((stored) => this.view(ctx, stored));
        const [view, shownIn] = await Promise.all([lines, rate]);
        return displayedCart(view, shownIn);
      },
    },

    add: {
      rest: "POST /cart/items",
      openapi: {
        summary: "Put a product into the cart",
        description: "Adds to the line of that product when there is one (200), else creates it (201).",
        responses: { 200: answer("Cart", "The cart; the line existed and grew"), 201: answer("Cart", "The cart with its new line", ["Location"]) },
        errors: { 404: ["NOT_FOUND"], 409: ["OUT_OF_STOCK", "CART_FULL", "CURRENCY_MISMATCH"] },
      },
      auth: "required",
      params: { productId: PRODUCT_ID_RULE, quantity: ADD_QUANTITY_RULE, $$strict: "remove" },
      async handler(this: CartThis, ctx: ShopContext<ItemParams>) {
        const userId = this.callerId(ctx);
        const { productId, quantity } = ctx.params;
        const before = await this.stored(this.store.lines(userId));
        // One lookup for the product and the lines already in the cart (their currency, then the answer).
        const products = await this.catalog(ctx, [productId, ...before.map((line) => line.productId)]);
        const product = products.get(productId);
        if (!product || product.archived) throw productNotFound(productId);
        const currency = cartCurrency(before.filter((line) => line.productId !== productId), products);
        if (currency !== null && currency !== product.currency) throw currencyMismatch(productId, currency, product.currency);

        const limits = { maxQuantity: Math.min(product.stock, MAX_LINE_QUANTITY), maxLines: this.settings.maxLines };
        const result = await this.stored(this.store.add(userId, productId, quantity, limits));
        if (result.outcome === "over_quantity") {
          const requested = result.quantity + quantity;
          if (requested > MAX_LINE_QUANTITY) throw lineTooLarge(result.quantity);
          throw notEnoughStock(productId, requested, product.stock, result.quantity);
        }
        if (result.outcome === "cart_full") throw cartFull(this.settings.maxLines);
        // A new line is a created resource; more units on an existing one are an update.
        ctx.meta.$statusCode = result.created ? 201 : 200;
        return this.view(ctx, result.lines, products);
      },
    },

    setQuantity: {
      rest: "PATCH /cart/items/:productId",
      openapi: {
        summary: "Set the quantity of a cart line",
        description: "0 removes the line.",
        responses: { 200: answer("Cart", "The cart") },
        errors: { 404: ["NOT_FOUND"], 409: ["OUT_OF_STOCK"] },
      },
      auth: "required",
      params: { productId: PRODUCT_ID_RULE, quantity: SET_QUANTITY_RULE, $$strict: "remove" },
      async handler(this: CartThis, ctx: ShopContext<ItemParams>) {
        const userId = this.callerId(ctx);
        const { productId, quantity } = ctx.params;
        if (quantity === 0) return this.view(ctx, await this.stored(this.store.remove(userId, productId)));

        const before = await this.stored(this.store.lines(userId));
        // Setting a quantity changes a line; it does not create one (POST /cart/items does, with its limits).
        if (!before.some((line) => line.productId === productId)) throw lineNotFound(productId);
        const products = await this.catalog(ctx, before.map((line) => line.productId));
        const product = products.get(productId);
        // A line whose product is no longer sold can only be removed.
        if (!product || product.archived) throw productNotFound(productId);
        if (quantity > product.stock) {
          throw notEnoughStock(productId, quantity, product.stock, before.find((line) => line.productId === productId)?.quantity ?? 0);
        }
        const result = await this.stored(this.store.setQuantity(userId, productId, quantity));
        // Removed by another request between the read and the write.
        if (result.outcome === "missing") throw lineNotFound(productId);
        return this.view(ctx, result.lines, products);
      },
    },

    remove: {
      rest: "DELETE /cart/items/:productId",
      openapi: {
        summary: "Remove a line from the cart",
        responses: { 200: answer("Cart", "The cart (also when the line was not there)") },
      },
      auth: "required",
      params: { productId: PRODUCT_ID_RULE, $$strict: "remove" },
      // Idempotent: removing a line that is not (or no longer) there answers the cart as it is.
      async handler(this: CartThis, ctx: ShopContext<{ productId: string }>) {
        return this.view(ctx, await this.stored(this.store.remove(this.callerId(ctx), ctx.params.productId)));
      },
    },

    clear: {
      rest: "DELETE /cart",
      openapi: {
        summary: "Empty the cart",
        responses: { 200: answer("Cart", "The empty cart") },
      },
      auth: "required",
      params: { $$strict: "remove" },
      async handler(this: CartThis, ctx: ShopContext) {
        await this.stored(this.store.clear(this.callerId(ctx)));
        return priceCart([], new Map());
      },
    },

    /** For the checkout saga: the raw lines `[{productId, quantity}]` of a user's cart, ordered by productId. */
    contentsOf: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { userId: USER_ID_RULE, $$strict: "remove" },
      handler(this: CartThis, ctx: ShopContext<{ userId: string }>): Promise<CartLine[]> {
        return this.stored(this.store.lines(ctx.params.userId));
      },
    },

    /**
     * For the checkout saga after a paid order: takes the order's `items` out of the user's cart (lines
     * added while the checkout ran stay), once per `orderId`; without them, empties the cart.
     * `{removedLines}` changed. Idempotent.
     */
    clearFor: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: {
        userId: USER_ID_RULE,
        orderId: { ...ORDER_ID_RULE, optional: true },
        items: { type: "array", optional: true, max: 200, items: { type: "object", strict: "remove", props: { productId: PRODUCT_ID_RULE, quantity: { type: "number", integer: true, min: 1 } } } },
        $$strict: "remove",
      },
      async handler(this: CartThis, ctx: ShopContext<{ userId: string; orderId?: string; items?: StockLine[] }>) {
        const { userId, orderId, items } = ctx.params;
        if (orderId !== undefined && items !== undefined) return { removedLines: await this.stored(this.store.removeBought(userId, orderId, items)) };
        return { removedLines: await this.stored(this.store.clear(userId)) };
      },
    },
  },

  methods: {
    createStore(): CartStore {
      const { redisUrl, keyPrefix, ttlSec } = this.settings;
      if (!redisUrl) return new MemoryCartStore({ ttlSec });
      return new RedisCartStore({
        url: redisUrl,
        prefix: keyPrefix,
        ttlSec,
        commandTimeoutMs: this.settings.commandTimeoutMs,
        onStateChange: (state, detail) => {
          if (state === "ready") this.logger.info("Cart store (Redis) connected.");
          else this.logger.warn(`Cart store (Redis) unreachable, cart requests answer 503 until it is back: ${detail ?? ""}`);
        },
      });
    },

    callerId(ctx: ShopContext<unknown>): string {
      // The gateway lets only authenticated calls through; an internal caller of a REST action must pass meta.user.
      if (!ctx.meta.user) throw unauthorized("Authentication required", "NO_TOKEN");
      return ctx.meta.user.id;
    },

    async stored<T>(operation: Promise<T>): Promise<T> {
      try {
        return await operation;
      } catch (err) {
        if (!(err instanceof CartStoreUnavailableError)) throw err;
        // Debug only: the store reports going down (and up) once, not once per request.
        this.logger.debug(err.message);
        throw unavailable("The cart is temporarily unavailable, try again shortly", { service: "cart" });
      }
    },

    async catalog(ctx: ShopContext<unknown>, ids: string[]): Promise<Catalog> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const found = await ctx.call<CatalogProduct[], { ids: string[] }>("products.getMany", { ids: unique });
      const products = new Map<string, CatalogProduct | null>(unique.map((id) => [id, null]));
      for (const product of found) products.set(product.id, product);
      return products;
    },

    async view(ctx: ShopContext<unknown>, lines: CartLine[], known: Catalog = new Map()): Promise<CartView> {
      const missing = lines.map((line) => line.productId).filter((id) => !known.has(id));
      // Only a line another request added meanwhile is missing after a write: normally no second call.
      const products = missing.length > 0 ? new Map([...known, ...(await this.catalog(ctx, missing))]) : known;
      return priceCart(lines, products);
    },
  },

  async started() {
    this.store = this.createStore();
    // Not fatal: without Redis the service still starts, answers 503 for carts, and recovers when Redis comes
    // (the store's onStateChange has already logged why it is not ready).
    await this.store.ready().catch(() => undefined);
  },

  async stopped() {
    await this.store?.close();
  },
};

export default CartService;
