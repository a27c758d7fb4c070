/**
 * products: the catalog of docs/api.md ("Catalog and inventory") and the stock
 * reservations of the checkout saga (services/products/reservations.ts). Owns the
 * `products` and `reservations` collections of the `products` database.
 *
 * `stock` is what can still be bought; `reserved` is held by open
 * reservations. Every change of either is one conditional update, so several
 * nodes on one MongoDB never oversell. A change that takes a product below
 * LOW_STOCK_THRESHOLD carries its durable `stock.low` in that same update
 * (low-stock.ts). Also owns the outbox of the `products` database.
 */
import type { Context, Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import { config } from "../../platform/config";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { openCollection, isDuplicateKeyError, type DbAdapter, type IndexSpec } from "../../platform/db/db-adapter";
import { buildCatalogQuery, LIST_CACHE_KEYS, LIST_PARAMS, priceRangeProblem, type CatalogListParams } from "./catalog-query";
import { categoryCounts } from "./category-counts";
import { fellBelow, stockUpdate, type StockAdjustment } from "./inventory";
import { decreaseStock, lowStockPayload, type LowStockStore } from "./low-stock";
import { outboxMark } from "../../platform/events/outbox";
import {
  adminProduct,
  CREATE_PARAMS,
  EDITABLE_FIELDS,
  MAX_STOCK,
  PRODUCT_INDEXES,
  publicProduct,
  UPDATE_PARAMS,
  type EditableField,
  type ProductDoc,
} from "./product-model";
import { productLedger } from "./product-ledger";
import { ReservationBook, type StockLedger } from "./reservations";
import { demoCatalog } from "./seed-catalog";
import { SearchSync } from "./search-sync";
import { searchedPage } from "./search-page";
import { displayRate, withDisplay } from "./display-prices";
import { DISPLAY_CURRENCY_PARAM } from "../../contracts/money-display";
import { shopMetrics } from "../../platform/broker/metrics";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { toPage } from "../../contracts/paging";
import { type StockLine } from "../../contracts/stock-lines";
import { PRODUCT_ID_RULE } from "../../contracts/ids";
import { answer, listOf } from "../../contracts/rest/answers";
import { stockClean, stockCleanEvent, stockCleanPatterns, type StockClean } from "../../platform/broker/stock-cache-clean";

export interface ProductsSettings extends ShopSettings {
  /** Moleculer cacher on get, list and categories (CATALOG_CACHE). */
  catalogCache: boolean;
  reservationTtlMs: number;
  /** 0: no periodic sweep (tests drive it through sweepReservations). */
  reservationSweepIntervalMs: number;
  lowStockThreshold: number;
  /** After a change of stock or reservations the gauges are counted again within this, once per burst, ms. */
  stockGaugesDelayMs: number;
  /** Between counts of the gauges whatever changed (other nodes' changes, expiries), ms; 0: after changes only. */
  stockGaugesIntervalMs: number;
  /** After the start, the search index reads the store once more for changes it could not hear yet, ms; 0: never. */
  searchCatchUpDelayMs: number;
}

interface ProductsVars {
  reservationStore: DbAdapter;
  reservations: ReservationBook;
  sweepTimer?: NodeJS.Timeout;
  sweeping?: Promise<number>;
  stockGaugesTimer?: NodeJS.Timeout;
  stockGaugesDue?: NodeJS.Timeout;
  stockGaugesCounting?: Promise<void>;
  searchSync: SearchSync;
  searchCatchUp?: NodeJS.Timeout;
}

interface ProductsMethods extends DbMethods, OutboxMethods {
  listedProduct(id: string): Promise<ProductDoc>;
  adjust(id: string, adjustment: StockAdjustment, ctx?: Context): Promise<{ doc: ProductDoc; before: number }>;
  lowStockStore(): LowStockStore;
  announce(ctx: Context | undefined, doc: ProductDoc, change: string, fields: string[]): void;
  stockMoved(ctx: Context | undefined, doc: ProductDoc): void;
  cleanStockOf(doc: ProductDoc, before: number): Promise<void>;
  stockLedger(): StockLedger;
  sweepReservations(): Promise<number>;
  countStockGauges(): Promise<void>;
  stockGaugesSoon(): void;
}

type ProductsThis = Service<ProductsSettings> & ProductsVars & ProductsMethods;
type ProductsActions = NonNullable<ServiceSchema<ProductsSettings, ProductsMethods, ProductsVars>["actions"]>;

const RESERVATION_INDEXES: IndexSpec[] = [{ fields: ["orderId"], unique: true }, { fields: ["status", "expiresAt"] }];

const ORDER_ID = { type: "string", min: 1, max: 100, pattern: /^[A-Za-z0-9._:-]+$/ };
const LISTED = { archived: { $ne: true } };
/** A set races reserve/commit for its read of `reserved`; it retries this often before giving up. */
const ADJUST_ATTEMPTS = 5;

/** The settings decide, per call, so one build can be measured with and without the cache. */
function cacheEnabled(this: ProductsThis): boolean {
  return this.settings.catalogCache !== false;
}

function broadcast(service: ProductsThis, ctx: Context | undefined, event: string, payload: Record<string, unknown>): void {
  void (ctx ? ctx.broadcast(event, payload) : service.broker.broadcast(event, payload));
}

const withUpdatedAt = (update: Record<string, unknown>) => ({
  ...update,
  $set: { ...((update.$set as Record<string, unknown> | undefined) ?? {}), updatedAt: new Date() },
});

function catalogActions(): ProductsActions {
  return {
    list: {
      rest: "GET /products",
      openapi: {
        summary: "List and search the catalog",
        description: "Listed (not archived) products, filtered by text, category, price and stock, in the order asked.",
        responses: { 200: answer("ProductPage", "One page of products") },
      },
      auth: false,
      cache: { keys: LIST_CACHE_KEYS, enabled: cacheEnabled },
      retryPolicy: { enabled: true },
      params: LIST_PARAMS,
      async handler(this: ProductsThis, ctx: ShopContext<CatalogListParams>) {
        const problem = priceRangeProblem(ctx.params);
        if (problem) throw unprocessable("Parameters validation error", [problem]);
        const rate = await displayRate(ctx, ctx.params.currency);
        const q = ctx.params.q?.trim();
        let answer;
        if (q) answer = await searchedPage(this.searchSync.search, this.adapter, { ...ctx.params, q });
        else {
          const { query, sort, limit, offset, page, pageSize } = buildCatalogQuery(ctx.params);
          const [docs, total] = await Promise.all([this.adapter.find({ query, sort, limit, offset }), this.adapter.count({ query })]);
          const rows = toPage(docs.map((doc) => publicProduct(doc as ProductDoc)), total, page, pageSize);
          answer = ctx.params.facets ? { ...rows, facets: this.searchSync.search.facetsOfAll(ctx.params) } : rows;
        }
        return rate ? { ...answer, rows: answer.rows.map((row) => withDisplay(row, rate)) } : answer;
      },
    },

    get: {
      rest: "GET /products/:id",
      openapi: {
        summary: "Read one product",
        responses: { 200: answer("Product", "The product") },
        errors: { 404: ["NOT_FOUND"] },
      },
      auth: false,
      cache: { keys: ["id", "currency"], enabled: cacheEnabled },
      retryPolicy: { enabled: true },
      params: { id: PRODUCT_ID_RULE, currency: DISPLAY_CURRENCY_PARAM, $$strict: "remove" },
      async handler(this: ProductsThis, ctx: ShopContext<{ id: string; currency?: string | null }>) {
        const [product, rate] = await Promise.all([this.listedProduct(ctx.params.id), displayRate(ctx, ctx.params.currency)]);
        return withDisplay(publicProduct(product), rate);
      },
    },

    // For cart, shipping and orders: one call for all lines, archived products
    // included (flagged) so old lines can still be shown; unknown ids are left out.
    getMany: {
      visibility: "public",
      cache: { keys: ["ids"], enabled: cacheEnabled },
      retryPolicy: { enabled: true },
      params: { ids: { type: "array", items: PRODUCT_ID_RULE, min: 1, max: 200 }, $$strict: "remove" },
      async handler(this: ProductsThis, ctx: ShopContext<{ ids: string[] }>) {
        const docs = (await this.adapter.find({ query: { _id: { $in: [...new Set(ctx.params.ids)] } } })) as ProductDoc[];
        return docs.map((doc) => adminProduct(this.adapter.afterRetrieveTransformID(doc, "id") as ProductDoc));
      },
    },

    categories: {
      rest: "GET /categories",
      openapi: {
        summary: "List the categories with their product counts",
        responses: { 200: listOf("Category", "Categories by name, with the number of listed products in each") },
      },
      auth: false,
      cache: { keys: [], enabled: cacheEnabled },
      retryPolicy: { enabled: true },
      params: { $$strict: "remove" },
      handler(this: ProductsThis) {
        return categoryCounts(this.adapter);
      },
    },

    create: {
      rest: "POST /products",
      openapi: {
        summary: "Add a product to the catalog",
        responses: { 201: answer("AdminProduct", "The new product", ["Location"]) },
        errors: { 409: ["CONFLICT"] },
        requestExample: { sku: "EL-1001", name: "Desk Lamp", category: "electronics", price: 1999, stock: 12, weightGrams: 350 },
      },
      roles: ["admin"],
      params: CREATE_PARAMS,
      async handler(this: ProductsThis, ctx: ShopContext<Omit<ProductDoc, "reserved" | "archived" | "createdAt" | "updatedAt">>) {
        const now = new Date();
        const doc = (await this.insertEntity({ ...ctx.params, reserved: 0, archived: false, createdAt: now, updatedAt: now }, "sku")) as ProductDoc;
        ctx.meta.$statusCode = 201;
        this.announce(ctx, doc, "created", [...EDITABLE_FIELDS, "stock"]);
        return adminProduct(doc);
      },
    },

    update: {
      rest: "PATCH /products/:id",
      openapi: {
        summary: "Change a product",
        description: "Any editable field; stock changes go through POST /api/products/{id}/stock.",
        responses: { 200: answer("AdminProduct", "The product as it is now") },
        errors: { 404: ["NOT_FOUND"], 409: ["CONFLICT"] },
        requestExample: { price: 1799 },
      },
      roles: ["admin"],
      params: UPDATE_PARAMS,
      async handler(this: ProductsThis, ctx: ShopContext<{ id: string } & Partial<Record<EditableField | "stock" | "reserved", unknown>>>) {
        const { id, ...given } = ctx.params;
        // The validator lets null through an optional field; stored, it would erase the field.
        const nulls = Object.keys(given).filter((field) => given[field as keyof typeof given] === null);
        if (nulls.length > 0) {
          throw unprocessable("Parameters validation error", nulls.map((field) => ({ field, message: `The '${field}' field cannot be null.` })));
        }
        const changes = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
        const fields = Object.keys(changes);
        if (fields.length === 0) {
          throw unprocessable("Nothing to change", [{ field: "body", message: `Send at least one of: ${EDITABLE_FIELDS.join(", ")}.` }]);
        }
        let doc: ProductDoc | null;
        try {
          doc = (await this.updateWhere({ _id: id, ...LISTED }, withUpdatedAt({ $set: changes }))) as ProductDoc | null;
        } catch (err) {
          if (isDuplicateKeyError(err)) throw conflict("sku already exists", "CONFLICT", { field: "sku" });
          throw err;
        }
        if (!doc) throw notFound("Product", { id });
        this.announce(ctx, doc, "updated", fields);
        return adminProduct(doc);
      },
    },

    remove: {
      rest: "DELETE /products/:id",
      openapi: {
        summary: "Archive a product",
        description: "It leaves the catalog; orders keep their lines.",
        responses: { 200: answer("AdminProduct", "The archived product") },
        errors: { 404: ["NOT_FOUND"] },
      },
      roles: ["admin"],
      params: { id: PRODUCT_ID_RULE, $$strict: "remove" },
      async handler(this: ProductsThis, ctx: ShopContext<{ id: string }>) {
        // Archived, not deleted: orders keep pointing at it, reservations still settle on it.
        const doc = (await this.updateWhere({ _id: ctx.params.id, ...LISTED }, withUpdatedAt({ $set: { archived: true } }))) as ProductDoc | null;
        if (!doc) throw notFound("Product", { id: ctx.params.id });
        this.announce(ctx, doc, "archived", ["archived"]);
        return adminProduct(doc);
      },
    },

    adjustStock: {
      rest: "POST /products/:id/stock",
      openapi: {
        summary: "Restock, write off or count a product's units",
        description: "Exactly one of `delta` (add or remove available units) and `set` (the counted units on hand).",
        responses: { 200: answer("AdminProduct", "The product with its new stock") },
        errors: { 404: ["NOT_FOUND"], 409: ["BELOW_RESERVED", "STOCK_BUSY"] },
        requestExample: { delta: 10 },
      },
      roles: ["admin"],
      params: {
        id: PRODUCT_ID_RULE,
        delta: { type: "number", integer: true, min: -MAX_STOCK, max: MAX_STOCK, notEqual: 0, optional: true },
        set: { type: "number", integer: true, min: 0, max: MAX_STOCK, optional: true },
        reason: { type: "string", trim: true, max: 200, optional: true },
        $$strict: "remove",
      },
      async handler(this: ProductsThis, ctx: ShopContext<{ id: string; delta?: number | null; set?: number | null; reason?: string | null }>) {
        const { id } = ctx.params;
        // An optional field may arrive as null: that is "not sent".
        const delta = ctx.params.delta ?? undefined;
        const set = ctx.params.set ?? undefined;
        if ((delta === undefined) === (set === undefined)) {
          const message = "Send exactly one of 'delta' and 'set'.";
          throw unprocessable(message, [{ field: "delta", message }, { field: "set", message }]);
        }
        const { doc, before } = await this.adjust(id, delta !== undefined ? { delta } : { set: set as number }, ctx);
        this.stockMoved(ctx, doc);
        // The audit trail of a manual change: who, what, and the operator's reason (the console asks for one).
        this.logger.info("Stock of %s changed from %d to %d by %s: %s", doc.sku, before, doc.stock, ctx.meta.user?.id ?? "unknown", ctx.params.reason || "no reason given");
        return adminProduct(doc);
      },
    },
  };
}

function inventoryActions(): ProductsActions {
  return {
    reserve: {
      visibility: "public",
      // Idempotent per orderId, so a retried call reserves nothing more.
      retryPolicy: { enabled: true },
      params: {
        orderId: ORDER_ID,
        items: {
          type: "array",
          min: 1,
          max: 100,
          items: {
            type: "object",
            strict: "remove",
            props: { productId: PRODUCT_ID_RULE, quantity: { type: "number", integer: true, min: 1, max: 10_000 } },
          },
        },
        $$strict: "remove",
      },
      handler(this: ProductsThis, ctx: Context<{ orderId: string; items: StockLine[] }>) {
        return this.reservations.reserve(ctx.params.orderId, ctx.params.items);
      },
    },

    commit: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { orderId: ORDER_ID, $$strict: "remove" },
      handler(this: ProductsThis, ctx: Context<{ orderId: string }>) {
        return this.reservations.commit(ctx.params.orderId);
      },
    },

    release: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { orderId: ORDER_ID, $$strict: "remove" },
      handler(this: ProductsThis, ctx: Context<{ orderId: string }>) {
        return this.reservations.release(ctx.params.orderId);
      },
    },

    /** A paid order was cancelled: its committed units go back into stock, once, however often this is called. */
    restock: {
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { orderId: ORDER_ID, $$strict: "remove" },
      handler(this: ProductsThis, ctx: Context<{ orderId: string }>) {
        return this.reservations.restock(ctx.params.orderId);
      },
    },

    /** Runs one sweep now (the timer does the same every RESERVATION_SWEEP_INTERVAL). */
    sweepReservations: {
      visibility: "public",
      params: {},
      async handler(this: ProductsThis) {
        return { released: await this.sweepReservations() };
      },
    },
  };
}

const ProductsService: ServiceSchema<ProductsSettings, ProductsMethods, ProductsVars> = {
  name: "products",
  mixins: [DbMixin({ collection: "products", indexes: PRODUCT_INDEXES, seed: () => demoCatalog() }), OutboxMixin({ database: "products" })],

  settings: {
    rest: "/",
    catalogCache: config.catalogCache,
    reservationTtlMs: config.reservationTtlSec * 1000,
    reservationSweepIntervalMs: config.reservationSweepIntervalSec * 1000,
    lowStockThreshold: config.lowStockThreshold,
    stockGaugesDelayMs: 1_000,
    stockGaugesIntervalMs: 30_000,
    searchCatchUpDelayMs: 5_000,
  },

  events: {
    // Another products node's stock change (this node's own cleaned its cacher already).
    [stockCleanEvent("products")](this: ProductsThis, ctx: Context<StockClean>) {
      if (ctx.nodeID !== this.broker.nodeID && this.broker.cacher) return this.broker.cacher.clean(stockCleanPatterns(this.fullName, ctx.params));
    },
    // Broadcast: every products node keeps its own search index.
    "product.changed"(this: ProductsThis, ctx: Context<{ id: string }>) {
      void this.searchSync.changed(ctx.params.id);
    },
    // Prices shown at the old rate are in the cache: they go.
    "currency.rates.changed"(this: ProductsThis) {
      return this.broker.cacher?.clean(`${this.fullName}.**`);
    },
  },

  // Reservations opened, settled or given back: the active-reservations gauge follows.
  hooks: {
    after: {
      "reserve|commit|release|restock|sweepReservations"(this: ProductsThis, _ctx: Context, result: unknown) {
        this.stockGaugesSoon();
        return result;
      },
    },
  },

  actions: { ...catalogActions(), ...inventoryActions() },

  methods: {
    async listedProduct(id: string) {
      const doc = (await this.adapter.findOne({ _id: id, ...LISTED })) as ProductDoc | null;
      if (!doc) throw notFound("Product", { id });
      return this.adapter.afterRetrieveTransformID(doc, "id") as ProductDoc;
    },

    async adjust(id: string, adjustment: StockAdjustment, ctx?: Context) {
      const field = "delta" in adjustment ? "delta" : "set";
      const threshold = this.settings.lowStockThreshold;
      if ("delta" in adjustment && adjustment.delta < 0) {
        const units = -adjustment.delta;
        const doc = await decreaseStock(this.lowStockStore(), { productId: id, units, update: withUpdatedAt({ $inc: { stock: -units } }), ctx });
        if (doc) return { doc, before: doc.stock + units };
        const current = await this.listedProduct(id);
        if (current.stock < units) throw conflict("Stock cannot go below what is reserved", "BELOW_RESERVED", { field, stock: current.stock, reserved: current.reserved });
        throw conflict("The stock is changing too fast, try again", "STOCK_BUSY", { id });
      }
      for (let attempt = 0; attempt < ADJUST_ATTEMPTS; attempt++) {
        const current = await this.listedProduct(id);
        const plan = stockUpdate(adjustment, current);
        if (!plan) {
          throw conflict("Stock cannot go below what is reserved", "BELOW_RESERVED", { field, stock: current.stock, reserved: current.reserved });
        }
        const write = (mark: Record<string, unknown> = {}) => this.updateWhere({ _id: id, ...LISTED, ...plan.filter }, { ...withUpdatedAt(plan.update), ...mark });
        // A set is conditional on the stock read: whether it crosses the threshold is known before it is written.
        const after = "set" in adjustment ? adjustment.set - current.reserved : current.stock + adjustment.delta;
        const doc = (
          fellBelow(current.stock, after, threshold)
            ? await this.commitWithEvent("stock.low", lowStockPayload(current, after, threshold), (eventId) => write({ $push: outboxMark(eventId) }), ctx)
            : await write()
        ) as ProductDoc | null | undefined;
        if (doc) return { doc, before: "delta" in adjustment ? doc.stock - adjustment.delta : current.stock };
        // A reservation moved between the read and the write: read again.
      }
      throw conflict("The stock is changing too fast, try again", "STOCK_BUSY", { id });
    },

    /** What decreaseStock (low-stock.ts) writes through: this collection, and the outbox with it. */
    lowStockStore(): LowStockStore {
      return {
        threshold: this.settings.lowStockThreshold,
        updateWhere: (filter, update, opts) => this.updateWhere(filter, update, opts),
        findEntityById: (id) => this.findEntityById(id),
        commitWithEvent: (event, payload, change, ctx) => this.commitWithEvent(event, payload, change, ctx),
      };
    },

    announce(ctx: Context | undefined, doc: ProductDoc, change: string, fields: string[]) {
      broadcast(this, ctx, "product.changed", { id: String(doc.id), sku: doc.sku, change, fields, stock: doc.stock });
      this.stockGaugesSoon();
    },

    /** Its stock.low, when it fell below the threshold, was written with the change (low-stock.ts). */
    stockMoved(ctx: Context | undefined, doc: ProductDoc) {
      this.announce(ctx, doc, "stock", ["stock"]);
    },

    /**
     * The cache entries a reservation's write may have made stale, not the
     * whole catalog (platform/broker/stock-cache-clean.ts). Moving only
     * `reserved` (a commit) changes getMany's answers alone, which only
     * products nodes cache: this node's are cleaned; another products node
     * (MongoDB) may answer its own copy's older `reserved` until the cacher's
     * TTL, and nothing decides on getMany's `reserved`.
     */
    async cleanStockOf(doc: ProductDoc, before: number) {
      if (doc.stock === before) {
        await this.broker.cacher?.clean(`${this.fullName}.getMany:**`);
        return;
      }
      const clean = stockClean(String(doc.id), before, doc.stock);
      this.broker.broadcast(stockCleanEvent(this.fullName), clean);
      await this.broker.cacher?.clean(stockCleanPatterns(this.fullName, clean));
    },

    stockLedger(): StockLedger {
      return productLedger(this, {
        decrease: (productId, units, update, only) => decreaseStock(this.lowStockStore(), { productId, units, update, filter: only.filter, filterRefuses: only.refuses, cleans: false }),
        changed: (doc, before) => this.cleanStockOf(doc, before),
        stockMoved: (doc) => this.stockMoved(undefined, doc),
        lost: (message) => this.logger.error(message),
      });
    },

    sweepReservations() {
      // One sweep at a time per node; several nodes at once are fine (each claim is conditional).
      this.sweeping ??= this.reservations.sweep().finally(() => {
        this.sweeping = undefined;
      });
      return this.sweeping;
    },

    /**
     * The gauges of platform/broker/metrics.ts this service owns: open reservations and
     * listed products under the low-stock threshold, two counts on the shared
     * collections. Every products node sets them alike (dashboards take `max`).
     * Counts run one after another, so the last one sees the last change.
     */
    countStockGauges() {
      if (!this.broker.isMetricsEnabled()) return Promise.resolve();
      const count = async () => {
        const [open, low] = await Promise.all([
          this.reservationStore.count({ query: { status: "reserved" } }),
          this.adapter.count({ query: { ...LISTED, stock: { $lt: this.settings.lowStockThreshold } } }),
        ]);
        const metrics = shopMetrics(this.broker);
        metrics.activeReservations(open);
        metrics.lowStockProducts(low);
      };
      const next = (this.stockGaugesCounting ?? Promise.resolve()).catch(() => undefined).then(count);
      this.stockGaugesCounting = next;
      const done = () => {
        if (this.stockGaugesCounting === next) this.stockGaugesCounting = undefined;
      };
      next.then(done, done);
      return next;
    },

    /** Something changed: one count within stockGaugesDelayMs, however many changes come meanwhile. */
    stockGaugesSoon() {
      if (this.stockGaugesDue || !this.broker.isMetricsEnabled()) return;
      this.stockGaugesDue = setTimeout(() => {
        this.stockGaugesDue = undefined;
        this.countStockGauges().catch((err: unknown) => this.logger.warn(`Counting reservations and low stock for the metrics failed: ${(err as Error).message}`));
      }, this.settings.stockGaugesDelayMs);
      this.stockGaugesDue.unref();
    },
  },

  async started() {
    // Before the node is ready: its first search answers from the whole catalog.
    const cleanLists = () => {
      this.broker.cacher?.clean(`${this.fullName}.list:**`).catch((err: unknown) => this.logger.warn(`Cleaning the cached lists after a search index change failed: ${(err as Error).message}`));
    };
    this.searchSync = new SearchSync(this.adapter, (message) => this.logger.warn(message), cleanLists);
    const indexing = Date.now();
    const indexed = await this.searchSync.build();
    this.logger.info(`Search index: ${indexed} products in ${Date.now() - indexing} ms.`);
    if (this.settings.searchCatchUpDelayMs > 0) {
      this.searchCatchUp = setTimeout(() => {
        this.searchSync
          .catchUp()
          .then((read) => this.logger.info(`Search index caught up: ${read} products read again.`))
          .catch((err: unknown) => this.logger.warn(`The search index could not catch up: ${(err as Error).message}`));
      }, this.settings.searchCatchUpDelayMs);
      this.searchCatchUp.unref();
    }

    this.reservationStore = await openCollection(this, { collection: "reservations", database: "products", indexes: RESERVATION_INDEXES });
    this.reservations = new ReservationBook({
      store: this.reservationStore,
      ledger: this.stockLedger(),
      // Listed or archived alike: a cancelled sale comes back to the product it was taken from.
      returns: {
        restock: async (line) => {
          const doc = (await this.updateWhere({ _id: line.productId }, withUpdatedAt({ $inc: { stock: line.quantity } }))) as ProductDoc | null;
          if (doc) this.stockMoved(undefined, doc);
          else this.logger.error(`Could not restock ${line.quantity} of product ${line.productId}: the product is gone`);
        },
      },
      ttlMs: this.settings.reservationTtlMs,
    });

    const every = this.settings.reservationSweepIntervalMs;
    if (every > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweepReservations()
          .then((released) => released > 0 && this.logger.info(`Released ${released} expired reservation(s).`))
          .catch((err: unknown) => this.logger.error("Sweeping expired reservations failed", err));
      }, every);
    }

    if (this.broker.isMetricsEnabled()) {
      this.stockGaugesSoon();
      const gaugeEvery = this.settings.stockGaugesIntervalMs;
      if (gaugeEvery > 0) {
        this.stockGaugesTimer = setInterval(() => this.stockGaugesSoon(), gaugeEvery);
        this.stockGaugesTimer.unref();
      }
    }
  },

  async stopped() {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.searchCatchUp) clearTimeout(this.searchCatchUp);
    if (this.stockGaugesTimer) clearInterval(this.stockGaugesTimer);
    if (this.stockGaugesDue) clearTimeout(this.stockGaugesDue);
    this.stockGaugesDue = undefined;
    await this.sweeping?.catch(() => undefined);
    await this.stockGaugesCounting?.catch(() => undefined);
    await this.reservationStore?.disconnect();
  },
};

export default ProductsService;
