/**
 * orders: checkout and the orders of docs/api.md ("Checkout and orders"). Owns the
 * `orders` and `idempotency` collections of the `orders` database.
 *
 * The checkout is a saga orchestrated here (services/orders/checkout/checkout-saga.ts) over
 * products, payments, cart and shipping; the Idempotency-Key records
 * (services/orders/checkout/checkout-keys.ts) make a replayed request answer what the first one
 * did, on any orders node. An order changes status only through
 * services/orders/order-state.ts, each change one conditional update with its history
 * entry. A recovery sweeper (ORDER_RECOVERY_INTERVAL) finishes the sagas a
 * crashed node left (ORDER_STALE_AFTER), safe with several nodes.
 *
 * The card lives only in the checkout's params and the authorize call: it is
 * never stored (not in the order, the idempotency record or its
 * fingerprint), logged, traced or put in an event.
 *
 * Where docs/api.md is silent:
 * - a checkout that fails after its order exists leaves that order `failed`
 *   with `failureReason` (listed with the user's orders); the error answer
 *   carries its `orderId`;
 * - errors before the order exists (empty cart, missing address, products no
 *   longer sold: 409 PRODUCT_UNAVAILABLE) keep nothing under the key;
 * - cancelling twice answers the cancelled order (200); cancelling a failed
 *   order is a 409; a pending one is cancelled once its running saga stops;
 * - admin ship works only on a paid order (409 otherwise) and marks it
 *   shipped at once; `shipment.updated` from shipping also marks it shipped,
 *   then delivered.
 */
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import type { Context, Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { config, ConfigError } from "../../platform/config";
import { notFound, tooManyRequests, unauthorized, unavailable, unprocessable } from "../../platform/errors";
import { MemoryWindowCounters, RedisWindowCounters } from "../../platform/window-counters";
import { CheckoutLimiter, CheckoutRefused, type CheckoutLimit } from "./checkout/checkout-limits";
import { openCollection, newId, type DbAdapter } from "../../platform/db/db-adapter";

import { checkoutCalls, type Call } from "./checkout/checkout-calls";
import { checkoutFingerprint } from "./checkout/checkout-fingerprint";
import { CheckoutKeys, KEY_INDEXES, keyInProgress, keyScope, type KeyDoc, type LinkedOrder, type Outcome } from "./checkout/checkout-keys";
import { newOrder, prepareCheckout } from "./checkout/checkout-prepare";
import { errorOf, outcomeOf } from "./checkout/checkout-failures";
import { CheckoutSaga, LeftForRecovery } from "./checkout/checkout-saga";
import { LeaseLost, OrderBook, ownerToken, type Announcer } from "./order-book";
import { shopMetrics, withOrderMetrics } from "../../platform/broker/metrics";
import { adminOrder, announcementOf, cardOf, CHECKOUT_PARAMS, ORDER_INDEXES, publicOrder, STATUS_FILTER_RULE, TRACED_CHECKOUT_PARAMS, type CheckoutParams, type OrderDoc, type SagaStep } from "./order-model";
import { fulfilmentActions, shipmentEvents } from "./order-fulfilment";
import type { OrderStatus } from "./order-state";
import type { PublicError } from "../../platform/public-error";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { toPage, PAGE_PARAMS } from "../../contracts/paging";
import { ORDER_ID_RULE } from "../../contracts/ids";
import { answer } from "../../contracts/rest/answers";

export interface OrdersSettings extends ShopSettings {
  /** Between recovery sweeps; 0: no periodic sweep (tests drive it through orders.recover). */
  recoveryIntervalMs: number;
  /** The saga's lease: how long a step may hold an order before a sweeper takes it over. */
  staleAfterMs: number;
  /** Fault injection: the process exits right after recording this step (FAULT_CRASH_AFTER_STEP). */
  faultCrashAfterStep: string | undefined;
  /** Checkout attempts and declines per user and card (checkout/checkout-limits.ts). */
  checkoutLimit: CheckoutLimit;
}

interface OrdersVars {
  keyStore: DbAdapter;
  keys: CheckoutKeys;
  limiter: CheckoutLimiter;
  book: OrderBook;
  sweepTimer?: NodeJS.Timeout;
  keyPruneTimer?: NodeJS.Timeout;
  sweeping?: Promise<number>;
}

export interface OrdersMethods extends DbMethods, OutboxMethods {
  announcer(ctx?: Context): Announcer;
  bookFor(ctx?: Context): OrderBook;
  saga(ctx?: ShopContext<unknown>): CheckoutSaga;
  detachedCall(ctx?: ShopContext<unknown>): Call;
  runCheckout(ctx: ShopContext<CheckoutParams>, claim: KeyDoc): Promise<Outcome | "lost">;
  admitCheckout(ctx: ShopContext<CheckoutParams>, claim: KeyDoc): Promise<void>;
  answer(ctx: ShopContext<unknown>, outcome: Outcome): unknown;
  settleKey(order: OrderDoc): Promise<void>;
  inspectKey(doc: KeyDoc): Promise<LinkedOrder>;
  ownOrder(ctx: ShopContext<{ id: string }>): Promise<OrderDoc>;
  recoverStale(): Promise<number>;
  crash(step: SagaStep): void;
}

export type OrdersThis = Service<OrdersSettings> & OrdersVars & OrdersMethods;

/** Waiting for another request's outcome ends this long before the caller's own timeout. */
const ANSWER_MARGIN_MS = 500;
/** Finished keys past their retention are looked for this often. */
const KEY_PRUNE_EVERY_MS = 3600 * 1000;

function callerId(ctx: ShopContext<unknown>): string {
  // The gateway lets only authenticated calls through; an internal caller must pass meta.user.
  if (!ctx.meta.user) throw unauthorized("Authentication required", "NO_TOKEN");
  return ctx.meta.user.id;
}

/** Steps FAULT_CRASH_AFTER_STEP may name: where a checkout can be stopped between two writes. */
const CRASH_STEPS: SagaStep[] = ["created", "reserved", "authorized", "captured", "committed", "paid"];

/** Until when a request may wait for another one: its own timeout, less a margin to answer. */
function deadlineOf(ctx: ShopContext<unknown>): number {
  const timeout = ctx.options?.timeout && ctx.options.timeout > 0 ? ctx.options.timeout : config.requestTimeoutMs;
  return Date.now() + Math.max(0, timeout - ANSWER_MARGIN_MS);
}

interface AdminListParams {
  page: number;
  pageSize: number;
  status?: OrderStatus | null;
  email?: string;
  from?: Date;
  to?: Date;
}

/** The store query of the admin's order filters. */
export function adminOrderQuery({ status, email, from, to }: AdminListParams): Record<string, unknown> {
  if (from && to && from >= to) throw unprocessable("'to' must be after 'from'", [{ type: "dateRange", field: "to", message: "'to' must be after 'from'" }]);
  const createdAt = { ...(from ? { $gte: from.toISOString() } : {}), ...(to ? { $lt: to.toISOString() } : {}) };
  return {
    ...(status ? { status } : {}),
    ...(email ? { "customer.email": email.toLowerCase() } : {}),
    ...(from || to ? { createdAt } : {}),
  };
}

const OrdersService: ServiceSchema<OrdersSettings, OrdersMethods, OrdersVars> = {
  name: "orders",
  mixins: [DbMixin({ collection: "orders", indexes: ORDER_INDEXES }), OutboxMixin({ database: "orders", payloadOf: (entry, changed) => announcementOf(changed as unknown as OrderDoc, entry.event) })],

  settings: {
    rest: "/",
    recoveryIntervalMs: config.orderRecoveryIntervalSec * 1000,
    staleAfterMs: config.orderStaleAfterSec * 1000,
    faultCrashAfterStep: config.faultCrashAfterStep,
    checkoutLimit: { maxAttempts: config.checkoutAttemptLimit, maxDeclines: config.checkoutDeclineLimit, windowSec: config.checkoutLimitWindowSec },
  },

  actions: {
    /** POST /orders: the checkout saga; 201 the paid order, or docs/api.md's failures. */
    checkout: {
      rest: "POST /orders",
      openapi: {
        summary: "Check out the caller's cart",
        description:
          "Reserves the stock, charges the card and answers the paid order. Send an Idempotency-Key: a retry with the same key and body answers the first outcome and never charges twice. " +
          "Failures after the order exists carry `data.orderId`; the order then ends failed and what was done is undone.",
        responses: { 201: answer("Order", "The paid order", ["Location"]) },
        errors: {
          402: ["PAYMENT_DECLINED"],
          409: ["OUT_OF_STOCK", "PRODUCT_UNAVAILABLE", "CURRENCY_MISMATCH", "IDEMPOTENCY_KEY_REUSED", "IDEMPOTENCY_KEY_IN_PROGRESS", "ORDER_CANCELLED", "RESERVATION_RELEASED"],
          422: ["EMPTY_CART"],
          503: ["CHECKOUT_FAILED", "CHECKOUT_INTERRUPTED"],
        },
        headers: [
          {
            name: "Idempotency-Key",
            required: true,
            description: "A unique value per checkout, the same when it is retried: 1 to 255 printable ASCII characters without spaces.",
            schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" },
            example: "3f1c9a7e-checkout-1",
          },
        ],
        requestExample: { shippingMethod: "standard", payment: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123" } },
      },
      auth: "required",
      // Not retried by the broker: the client retries with its Idempotency-Key.
      tracing: { tags: { params: TRACED_CHECKOUT_PARAMS } },
      params: CHECKOUT_PARAMS,
      async handler(this: OrdersThis, ctx: ShopContext<CheckoutParams>) {
        const userId = callerId(ctx);
        const key = ctx.meta.idempotencyKey;
        if (!key) {
          const message = "The 'Idempotency-Key' header is required: a unique value per checkout, the same when it is retried.";
          throw unprocessable("An Idempotency-Key is needed", [{ field: "Idempotency-Key", message, type: "required" }]);
        }
        const fingerprint = checkoutFingerprint(ctx.params);
        const deadline = deadlineOf(ctx);
        // A second round only when this request lost the key it had claimed to another one: then it waits for that one.
        for (let round = 0; round < 2; round++) {
          const claim = await this.keys.claim(keyScope(userId, key), fingerprint, deadline, (doc) => this.inspectKey(doc));
          if (!claim.own) return this.answer(ctx, claim.outcome);
          await this.admitCheckout(ctx, claim.doc);
          const outcome = await this.runCheckout(ctx, claim.doc);
          if (outcome !== "lost" && outcome.status === 402) {
            await this.limiter.declined(userId, ctx.params.payment).catch((err: Error) => this.logger.warn(`A declined checkout was not counted: ${err.message}`));
          }
          if (outcome !== "lost") return this.answer(ctx, outcome);
        }
        throw keyInProgress();
      },
    },

    list: {
      rest: "GET /orders",
      openapi: {
        summary: "List the caller's orders, newest first",
        responses: { 200: answer("OrderPage", "One page of the caller's orders") },
      },
      auth: "required",
      retryPolicy: { enabled: true },
      params: { ...PAGE_PARAMS, $$strict: "remove" },
      async handler(this: OrdersThis, ctx: ShopContext<{ page: number; pageSize: number }>) {
        const { page, pageSize } = ctx.params;
        const { rows, total } = await this.book.page({ userId: callerId(ctx) }, page, pageSize);
        return toPage(rows.map(publicOrder), total, page, pageSize);
      },
    },

    get: {
      rest: "GET /orders/:id",
      openapi: {
        summary: "Read one of the caller's orders",
        responses: { 200: answer("Order", "The order") },
        errors: { 404: ["NOT_FOUND"] },
      },
      auth: "required",
      retryPolicy: { enabled: true },
      params: { id: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: OrdersThis, ctx: ShopContext<{ id: string }>) {
        return publicOrder(await this.ownOrder(ctx));
      },
    },

    adminList: {
      rest: "GET /admin/orders",
      openapi: {
        summary: "List every order, newest first",
        description: "Filtered by status, by the buyer's email (matched whole, case-insensitive) and by when it was placed (`from` included, `to` excluded). Each order names its customer.",
        responses: { 200: answer("AdminOrderPage", "One page of orders") },
      },
      roles: ["admin"],
      retryPolicy: { enabled: true },
      params: {
        ...PAGE_PARAMS,
        status: STATUS_FILTER_RULE,
        // The buyer's email as stored with the order, matched whole (case-insensitive).
        email: { type: "email", optional: true, max: 254 },
        // Placed on or after `from`, before `to` (ISO 8601 dates or times).
        from: { type: "date", convert: true, optional: true },
        to: { type: "date", convert: true, optional: true },
        $$strict: "remove",
      },
      async handler(this: OrdersThis, ctx: ShopContext<AdminListParams>) {
        const { page, pageSize } = ctx.params;
        const { rows, total } = await this.book.page(adminOrderQuery(ctx.params), page, pageSize);
        return toPage(rows.map(adminOrder), total, page, pageSize);
      },
    },

    ...fulfilmentActions(),

    /** Runs one recovery sweep now (the timer does the same every ORDER_RECOVERY_INTERVAL): `{recovered}` orders finished. */
    recover: {
      visibility: "public",
      params: {},
      async handler(this: OrdersThis) {
        return { recovered: await this.recoverStale() };
      },
    },
  },

  events: shipmentEvents(),

  methods: {
    /**
     * Every order event leaves through here: written into the outbox ahead of
     * the status change that marks it (OrderBook.transition), relayed to
     * JetStream. The order names the event (it reaches each status once), so
     * a repeat after a crash is the same event. Payloads come from
     * announcementOf: no card data.
     */
    announcer(ctx?: Context): Announcer {
      return (event, change, key) => this.commitWithEvent(event, (changed: OrderDoc) => announcementOf(changed, event), change, ctx, { key });
    },

    bookFor(ctx?: Context) {
      return ctx ? this.book.announcingWith(this.announcer(ctx)) : this.book;
    },

    /** The saga for one request (its calls and events carry the request's id), or for the sweeper. */
    saga(ctx?: ShopContext<unknown>) {
      const forward: Call = ctx ? (action, params, opts) => ctx.call(action, params, opts) : this.detachedCall();
      return new CheckoutSaga({
        book: this.bookFor(ctx),
        calls: checkoutCalls(forward, this.detachedCall(ctx)),
        settleKey: (order) => this.settleKey(order),
        logger: this.logger,
        afterStep: (step) => {
          if (step === this.settings.faultCrashAfterStep) this.crash(step);
        },
      });
    },

    /**
     * Calls on their own timeout rather than what is left of the request's
     * (ctx.call would skip them once the client gave up, and compensations
     * must run), still as children of the request: its id, caller and trace.
     */
    detachedCall(ctx?: ShopContext<unknown>): Call {
      return (action, params, opts) => this.broker.call(action, params, { ...opts, ...(ctx ? { parentCtx: ctx } : {}) });
    },

    /** Counts a new checkout (a replay answered from its key is not one); refused ones leave the key free. */
    async admitCheckout(ctx: ShopContext<CheckoutParams>, claim: KeyDoc) {
      try {
        await this.limiter.admit(callerId(ctx), ctx.params.payment);
      } catch (err) {
        await this.keys.release(claim).catch((e: unknown) => this.logger.warn(`Idempotency key not released: ${(e as Error).message}`));
        if (err instanceof CheckoutRefused) throw tooManyRequests(err.message, err.retryAfterSec);
        // Without the counters the limit cannot hold: refuse rather than let unlimited card tests through.
        this.logger.warn(`Checkout limit counters unreachable: ${(err as Error).message}`);
        throw unavailable("Checkout is unavailable, try again later");
      }
    },

    /** Steps 2 to 12 for a request that holds the key; "lost" when another request took the key or the order over. */
    async runCheckout(ctx: ShopContext<CheckoutParams>, claim: KeyDoc) {
      const userId = callerId(ctx);
      let prepared;
      try {
        const { shippingAddress, shippingMethod, displayCurrency } = ctx.params;
        prepared = await prepareCheckout((action, params, opts) => ctx.call(action, params, opts), { userId, shippingAddress, shippingMethod, displayCurrency });
      } catch (err) {
        // No order, nothing done: the key is free for a corrected request.
        await this.keys.release(claim).catch((e: unknown) => this.logger.warn(`Idempotency key not released: ${(e as Error).message}`));
        throw err;
      }
      const orderId = newId();
      if (!(await this.keys.link(claim, orderId))) return "lost";
      const at = new Date().toISOString();
      const buyer = ctx.meta.user;
      const customer = buyer?.email ? { email: buyer.email, ...(buyer.name ? { name: buyer.name } : {}) } : undefined;
      const facts = { orderId, userId, customer, idempotencyKey: String(ctx.meta.idempotencyKey), owner: ownerToken(), leaseUntil: Date.now() + this.settings.staleAfterMs, at };
      const order = await this.book.insert(newOrder(prepared, facts));
      const saga = this.saga(ctx);
      if (this.settings.faultCrashAfterStep === "created") this.crash("created");
      try {
        return outcomeOf(await saga.run(order, cardOf(ctx.params.payment))).outcome;
      } catch (err) {
        if (err instanceof LeaseLost) return "lost";
        if (err instanceof LeftForRecovery) {
          this.logger.warn(`Order ${orderId} is paid but its stock is not committed yet; recovery finishes it. ${err.message}`);
          throw unavailable("The payment went through and the order is being completed: retry with the same Idempotency-Key", { orderId });
        }
        throw err;
      }
    },

    answer(ctx: ShopContext<unknown>, outcome: Outcome) {
      if (outcome.status >= 400) throw errorOf(outcome.body as PublicError);
      ctx.meta.$statusCode = outcome.status;
      return outcome.body;
    },

    async settleKey(order: OrderDoc) {
      const { outcome, retryable } = outcomeOf(order);
      try {
        await this.keys.complete(keyScope(order.userId, order.idempotencyKey), String(order.id), outcome, retryable);
      } catch (err) {
        // A waiting replay finds the order finished and settles the key itself (inspectKey).
        this.logger.warn(`The Idempotency-Key of order ${order.id} is not settled yet: ${(err as Error).message}`);
      }
    },

    /** For a request waiting on a key whose owner is overdue: settle the key from the order, or recover the order. */
    async inspectKey(doc: KeyDoc): Promise<LinkedOrder> {
      const order = await this.book.get(String(doc.orderId));
      if (!order) return "missing";
      if (order.status !== "pending") await this.settleKey(order);
      else {
        const claimed = await this.book.claim(order);
        if (claimed) await this.saga().resume(claimed).catch((err: unknown) => this.logger.warn(`Recovery of order ${order.id} stopped: ${(err as Error).message}`));
      }
      return "running";
    },

    async ownOrder(ctx: ShopContext<{ id: string }>) {
      const order = await this.book.get(ctx.params.id);
      // Another user's order is "not found": its existence is not revealed. Admins run the shop: they see every order.
      if (!order || (order.userId !== callerId(ctx) && ctx.meta.user?.role !== "admin")) throw notFound("Order", { id: ctx.params.id });
      return order;
    },

    recoverStale() {
      // One sweep at a time per node; several nodes at once are fine (each takeover is conditional).
      this.sweeping ??= (async () => {
        let recovered = 0;
        for (const stale of await this.book.stale()) {
          const claimed = await this.book.claim(stale);
          if (!claimed) continue; // another node took it
          try {
            const order = await this.saga().resume(claimed);
            this.logger.info(`Recovered order ${order.id}: ${order.status}${order.saga.cleanup ? " (compensation still owed)" : ""}.`);
            recovered++;
          } catch (err) {
            this.logger.warn(`Recovery of order ${stale.id} stopped, tried again after ${this.settings.staleAfterMs} ms: ${(err as Error).message}`);
          }
        }
        return recovered;
      })().finally(() => {
        this.sweeping = undefined;
      });
      return this.sweeping;
    },

    /** Fault injection: dies as a crash would, right after `step` was recorded. Tests replace it. */
    crash(step: SagaStep) {
      this.logger.fatal(`FAULT_CRASH_AFTER_STEP=${step}: exiting now.`);
      process.exit(1);
    },
  },

  created() {
    const fault = this.settings.faultCrashAfterStep;
    if (fault && !CRASH_STEPS.includes(fault as SagaStep)) {
      throw new ConfigError(`FAULT_CRASH_AFTER_STEP must be one of ${CRASH_STEPS.join(", ")}, got "${fault}"`);
    }
  },

  async started() {
    if (this.settings.faultCrashAfterStep) {
      this.logger.warn(`FAULT_CRASH_AFTER_STEP=${this.settings.faultCrashAfterStep}: this node exits right after recording that checkout step (crash tests only).`);
    }
    // Every status change the book writes is counted (shop_orders_total, checkout durations: platform/broker/metrics.ts).
    this.book = new OrderBook(withOrderMetrics(this, shopMetrics(this.broker)), { leaseMs: this.settings.staleAfterMs, announce: this.announcer() });
    this.keyStore = await openCollection(this, { collection: "idempotency", database: "orders", indexes: KEY_INDEXES });
    this.keys = new CheckoutKeys({ store: this.keyStore, leaseMs: this.settings.staleAfterMs });
    // Hourly: the keys of checkouts that ended more than KEY_RETENTION_MS ago go.
    this.keyPruneTimer = setInterval(() => {
      this.keys.prune().catch((err: unknown) => this.logger.warn(`Pruning Idempotency-Key records failed: ${(err as Error).message}`));
    }, KEY_PRUNE_EVERY_MS);
    this.keyPruneTimer.unref();
    const counters = config.redisUrl ? new RedisWindowCounters(config.redisUrl, `${config.namespace}:checkout-limits:`) : new MemoryWindowCounters();
    this.limiter = new CheckoutLimiter(counters, this.settings.checkoutLimit);
    if (counters instanceof RedisWindowCounters) {
      // Not fatal: checkouts answer 503 until Redis is reachable.
      await counters.connect().catch((err: Error) => this.logger.warn(`Redis for checkout limits not reachable yet: ${err.message}`));
    }

    const every = this.settings.recoveryIntervalMs;
    if (every > 0) {
      this.sweepTimer = setInterval(() => {
        this.recoverStale().catch((err: unknown) => this.logger.error("The recovery sweep failed", err));
      }, every);
      this.sweepTimer.unref();
    }
  },

  async stopped() {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.keyPruneTimer) clearInterval(this.keyPruneTimer);
    await this.sweeping?.catch(() => undefined);
    await this.keyStore?.disconnect();
    await this.limiter?.close();
  },
};

export default OrdersService;
