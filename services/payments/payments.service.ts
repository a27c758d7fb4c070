/**
 * payments: card payments of orders, for the checkout saga (internal: no REST
 * routes). Owns the `transactions` and `payment_operations` collections of
 * the `payments` database, and talks to a payment processor through
 * services/payments/payment-gateway.ts (PAYMENT_GATEWAY; the simulated one by default).
 *
 * Every state-changing action takes an idempotency key and honours it
 * (services/payments/payment-operations.ts): the same key gives the same answer and never
 * moves money twice, also when the same call arrives several times at once
 * on several nodes. That is why they opt into the broker's retries.
 * Which status may follow which is decided by services/payments/payment-state.ts alone.
 *
 * The card number and CVC exist only in the `authorize` call's params and
 * the processor call: never stored, logged, traced or put in an event (only
 * brand and last four digits). The `card` rule (contracts/card.ts) keeps them out of
 * validation errors, and `tracing.tags.params` lists the params a trace may show.
 */
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import { outboxMark } from "../../platform/events/outbox";
import type { Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { config } from "../../platform/config";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { openCollection, type DbAdapter } from "../../platform/db/db-adapter";
import { cardBrand, cardRule, checkCard, last4, type CardBrand, type CardInput } from "../../contracts/card";
import { isTransientGatewayError, type AuthorizeResult, type GatewayReceipt, type PaymentGateway } from "./payment-gateway";
import { createGateway } from "./payment-gateways";
import { authorizationStatus, planOperation, type PaymentOperation, type Plan } from "./payment-state";
import { fingerprintOf, OPERATION_INDEXES, OPERATION_RETENTION_MS, OperationLog, type OperationDoc } from "./payment-operations";
import { AMOUNT_RULE, CURRENCY_RULE, declined, eventFacts, gatewayUnavailable, IDEMPOTENCY_KEY_RULE, toTransaction, TRANSACTION_ID_RULE, TRANSACTION_REF_PARAMS, type HistoryEntry, type Transaction, type TransactionDoc } from "./payment-records";
import { retryWithBackoff } from "../../platform/retry";
import { shopMetrics } from "../../platform/broker/metrics";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { ORDER_ID_RULE, USER_ID_RULE } from "../../contracts/ids";
import { sleep } from "../../platform/sleep";

export interface PaymentsSettings extends ShopSettings {
  gateway: string;
  gatewayLatencyMs: number;
  gatewayRetries: number;
  gatewayRetryDelayMs: number;
  gatewayMaxRetryDelayMs: number;
  /** How long an operation, or its hold on a transaction, may run before another call takes over (its owner crashed). */
  operationLeaseMs: number;
  /** How long a call waits for another one with its key, or holding its transaction, before a 409. */
  pendingWaitMs: number;
}

interface PaymentsVars {
  gateway: PaymentGateway;
  operationStore: DbAdapter;
  operations: OperationLog;
  pruneTimer?: NodeJS.Timeout;
}

interface AuthorizeParams {
  orderId: string;
  userId: string;
  amount: number;
  currency: string;
  card: CardInput;
  idempotencyKey: string;
}
interface TransactionRef {
  transactionId?: string;
  orderId?: string;
  idempotencyKey: string;
}

/** An authorization alone, or with its capture in the same processor call. */
type CardOperation = "authorize" | "charge";

interface PaymentsMethods extends DbMethods, OutboxMethods {
  createGateway(): PaymentGateway;
  callGateway<T>(operation: string, orderId: string, call: () => Promise<T>): Promise<T>;
  approveCard(ctx: ShopContext<AuthorizeParams>, kind: CardOperation): Promise<Transaction>;
  authorizeOnce(ctx: ShopContext<AuthorizeParams>, op: OperationDoc, brand: CardBrand, kind: CardOperation): Promise<Transaction>;
  answerAuthorization(op: OperationDoc, doc: TransactionDoc): Promise<Transaction>;
  settle(ctx: ShopContext<TransactionRef>, operation: PaymentOperation): Promise<Transaction>;
  settleOnce(ctx: ShopContext<TransactionRef>, op: OperationDoc, operation: PaymentOperation, transactionId: string): Promise<Transaction>;
  holdTransaction(id: string, operation: PaymentOperation, key: string): Promise<{ doc: TransactionDoc; plan: Plan | null }>;
  transactionOf(ref: { transactionId?: string; orderId?: string }): Promise<TransactionDoc>;
  recorded(id: string | undefined): Promise<TransactionDoc>;
  signal(ctx: ShopContext<unknown>, event: string, payload: Record<string, unknown>): void;
}

type PaymentsThis = Service<PaymentsSettings> & PaymentsVars & PaymentsMethods;

const TRANSACTION_INDEXES = [{ fields: ["idempotencyKey"], unique: true }, { fields: ["orderId"] }];
const POLL_MS = 20;
const PRUNE_EVERY_MS = 3600 * 1000;
/**
 * Durable (outbox, JetStream) is only `payment.refunded`, which notifications
 * acts on (docs/architecture.md "Events"). `payment.authorized`, `captured`,
 * `voided` and `failed` are signals for whoever watches (Moleculer events,
 * best effort): made durable, they cost every checkout four writes and two
 * JetStream publishes for events nobody consumes (bench/README.md).
 */
const SIGNALLED_SETTLEMENTS = { capture: "payment.captured", void: "payment.voided" } as const;

/** An authorization's (or a charge's) event, from the transaction as its outcome stored it. */
function authorizationEvent(doc: TransactionDoc, kind: CardOperation): Record<string, unknown> {
  const reason = doc.status === "failed" ? "gateway_unavailable" : doc.declineReason;
  const captured = doc.status === "captured" ? { captured: doc.captured } : {};
  return { ...eventFacts(doc), operation: kind, ...captured, ...(reason ? { reason } : {}), at: doc.updatedAt };
}
const APPROVED_SIGNAL = { authorized: "payment.authorized", captured: "payment.captured" } as const;
const CARD_PAYMENT_PARAMS = {
  orderId: ORDER_ID_RULE,
  userId: USER_ID_RULE,
  amount: AMOUNT_RULE,
  currency: CURRENCY_RULE,
  card: cardRule,
  idempotencyKey: IDEMPOTENCY_KEY_RULE,
  $$strict: "remove",
} as const;
/** What a trace of `authorize` or `charge` may show: every param but the card. */
const TRACED_AUTHORIZE_PARAMS = ["orderId", "userId", "amount", "currency", "idempotencyKey"];

const now = () => new Date().toISOString();
const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

const PaymentsService: ServiceSchema<PaymentsSettings, PaymentsMethods, PaymentsVars> = {
  name: "payments",
  mixins: [DbMixin({ collection: "transactions", database: "payments", indexes: TRANSACTION_INDEXES }), OutboxMixin({ database: "payments" })],

  settings: {
    rest: "/",
    gateway: config.paymentGateway,
    gatewayLatencyMs: config.paymentGatewayLatencyMs,
    gatewayRetries: config.paymentGatewayRetries,
    gatewayRetryDelayMs: config.paymentGatewayRetryDelayMs,
    gatewayMaxRetryDelayMs: 2_000,
    operationLeaseMs: 30_000,
    pendingWaitMs: 8_000,
  },

  actions: {
    /** Holds `amount` on the card: the transaction (authorized), or 402 declined, 422 bad card, 503 processor down. */
    authorize: {
      visibility: "public",
      retryPolicy: { enabled: true },
      tracing: { tags: { params: TRACED_AUTHORIZE_PARAMS } },
      params: CARD_PAYMENT_PARAMS,
      handler(this: PaymentsThis, ctx: ShopContext<AuthorizeParams>) {
        return this.approveCard(ctx, "authorize");
      },
    },

    /**
     * Authorizes and captures `amount` in one processor call (automatic
     * capture) and one operation record: the transaction (captured), or the
     * answers of `authorize`. For a sale captured at once, as the checkout's;
     * undone by `refund`.
     */
    charge: {
      visibility: "public",
      retryPolicy: { enabled: true },
      tracing: { tags: { params: TRACED_AUTHORIZE_PARAMS } },
      params: CARD_PAYMENT_PARAMS,
      handler(this: PaymentsThis, ctx: ShopContext<AuthorizeParams>) {
        return this.approveCard(ctx, "charge");
      },
    },

    /** authorized -> captured (the whole amount). */
    capture: {
      // No card data in these params: traces may show them all.
      tracing: { tags: { params: true } },
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { ...TRANSACTION_REF_PARAMS, $$strict: "remove" },
      handler(this: PaymentsThis, ctx: ShopContext<TransactionRef>) {
        return this.settle(ctx, { kind: "capture" });
      },
    },

    /** authorized -> voided: the hold is released, nothing was charged. */
    void: {
      // No card data in these params: traces may show them all.
      tracing: { tags: { params: true } },
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { ...TRANSACTION_REF_PARAMS, $$strict: "remove" },
      handler(this: PaymentsThis, ctx: ShopContext<TransactionRef>) {
        return this.settle(ctx, { kind: "void" });
      },
    },

    /** captured/partially_refunded -> partially_refunded/refunded; `amount` defaults to all that is left. */
    refund: {
      // No card data in these params: traces may show them all.
      tracing: { tags: { params: true } },
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { ...TRANSACTION_REF_PARAMS, amount: { ...AMOUNT_RULE, optional: true }, $$strict: "remove" },
      handler(this: PaymentsThis, ctx: ShopContext<TransactionRef & { amount?: number }>) {
        return this.settle(ctx, { kind: "refund", amount: ctx.params.amount ?? undefined });
      },
    },

    get: {
      // No card data in these params: traces may show them all.
      tracing: { tags: { params: true } },
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { id: TRANSACTION_ID_RULE, $$strict: "remove" },
      async handler(this: PaymentsThis, ctx: ShopContext<{ id: string }>) {
        const doc = (await this.findEntityById(ctx.params.id)) as TransactionDoc | null;
        if (!doc) throw notFound("Transaction", { id: ctx.params.id });
        return toTransaction(doc);
      },
    },

    /** Every transaction of an order (declined and failed attempts too), newest first. */
    listByOrder: {
      // No card data in these params: traces may show them all.
      tracing: { tags: { params: true } },
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { orderId: ORDER_ID_RULE, $$strict: "remove" },
      async handler(this: PaymentsThis, ctx: ShopContext<{ orderId: string }>) {
        const docs = await this.adapter.find({ query: { orderId: ctx.params.orderId }, sort: ["-createdAt"] });
        return docs.map((doc) => toTransaction(this.adapter.afterRetrieveTransformID(doc, "id") as TransactionDoc));
      },
    },

    /**
     * For a checkout that gave up on its authorization or charge (`operation`;
     * the call timed out): none under `idempotencyKey` may happen from now
     * on, also not a call of it still on its way. `closed`: none will;
     * `running`: one runs now (ask again later); `done`: it ran (listByOrder
     * has its outcome).
     */
    closeAuthorization: {
      tracing: { tags: { params: true } },
      visibility: "public",
      retryPolicy: { enabled: true },
      params: { idempotencyKey: IDEMPOTENCY_KEY_RULE, operation: { type: "enum", values: ["authorize", "charge"], default: "authorize" }, $$strict: "remove" },
      async handler(this: PaymentsThis, ctx: ShopContext<{ idempotencyKey: string; operation: CardOperation }>) {
        const op = await this.operations.close(ctx.params.idempotencyKey, ctx.params.operation);
        return { state: op.state === "closed" ? "closed" : op.state === "pending" ? "running" : "done" };
      },
    },
  },

  methods: {
    createGateway() {
      return createGateway(this.settings.gateway, { latencyMs: this.settings.gatewayLatencyMs }, config);
    },

    /** Retries transient processor errors with backoff and jitter; the last error is thrown. */
    callGateway<T>(operation: string, orderId: string, call: () => Promise<T>) {
      return retryWithBackoff(call, {
        retries: this.settings.gatewayRetries,
        baseDelayMs: this.settings.gatewayRetryDelayMs,
        maxDelayMs: this.settings.gatewayMaxRetryDelayMs,
        isRetryable: isTransientGatewayError,
        onRetry: (err, retry, delayMs) =>
          this.logger.warn(`Payment processor failed on ${operation} of order ${orderId}, retry ${retry} in ${delayMs} ms: ${errorText(err)}`),
      });
    },

    async approveCard(ctx: ShopContext<AuthorizeParams>, kind: CardOperation) {
      const { orderId, userId, amount, currency, card, idempotencyKey } = ctx.params;
      const problems = checkCard(card, new Date());
      if (problems.length > 0) throw unprocessable("The card was not accepted", problems);
      const brand = cardBrand(card.number);
      // No card number in the fingerprint: brand, last four and expiry tell a different card apart well enough.
      const fingerprint = fingerprintOf({ orderId, userId, amount, currency, brand, last4: last4(card.number), expMonth: card.expMonth, expYear: card.expYear });
      const claim = await this.operations.claim(idempotencyKey, kind, fingerprint);
      if (!claim.run) return toTransaction(await this.recorded(claim.op.transactionId));
      return this.operations.failOnError(claim.op, () => this.authorizeOnce(ctx, claim.op, brand, kind));
    },

    async authorizeOnce(ctx: ShopContext<AuthorizeParams>, op: OperationDoc, brand: CardBrand, kind: CardOperation) {
      const { orderId, userId, amount, currency, card, idempotencyKey } = ctx.params;
      const previous = (await this.adapter.findOne({ idempotencyKey })) as TransactionDoc | null;
      const earlier = previous ? (this.adapter.afterRetrieveTransformID(previous, "id") as TransactionDoc) : null;
      // An earlier owner of the key recorded its outcome and stopped before settling the key.
      if (earlier && earlier.status !== "failed") return this.answerAuthorization(op, earlier);

      let result: AuthorizeResult | null = null;
      try {
        result = await this.callGateway(kind, orderId, () => this.gateway[kind]({ orderId, amount, currency, card, idempotencyKey }));
      } catch (err) {
        if (!isTransientGatewayError(err)) this.logger.error(`Payment processor error on ${kind} of order ${orderId}: ${errorText(err)}`);
      }
      const status = authorizationStatus(result === null ? "failed" : result.approved ? "approved" : "declined", earlier?.status ?? null, kind === "charge");
      const reason = result === null ? "gateway_unavailable" : result.approved ? undefined : result.reason;
      const at = now();
      const fields = {
        status,
        gatewayRef: result?.approved ? result.gatewayRef : null,
        captured: status === "captured" ? amount : 0,
        ...(result && !result.approved ? { declineReason: result.reason } : {}),
        updatedAt: at,
      };
      const entry: HistoryEntry = { status, at, ...(reason ? { reason } : {}), ...(status === "captured" ? { amount } : {}) };
      const doc = (earlier
        ? await this.updateWhere({ _id: earlier.id, status: "failed" }, { $set: fields, $push: { history: entry } })
        : await this.insertEntity(
            {
              orderId, userId, amount, currency, brand, last4: last4(card.number), idempotencyKey, gateway: this.gateway.name,
              refunded: 0, lock: null, history: [entry], createdAt: at, ...fields,
            },
            "idempotencyKey",
          )) as TransactionDoc | null;
      if (!doc) throw conflict("The transaction changed meanwhile, try again", "CONCURRENT_UPDATE");
      const approved = status === "authorized" || status === "captured";
      this.signal(ctx, approved ? APPROVED_SIGNAL[status] : "payment.failed", authorizationEvent(doc, kind));
      // Once per decline: only the holder of the key gets here, and only when its write went through.
      if (status === "declined") shopMetrics(this.broker).paymentDeclined(reason ?? "card_declined");

      if (status === "failed") {
        await this.operations.fail(op, doc.id);
        throw gatewayUnavailable(kind, doc.id);
      }
      return this.answerAuthorization(op, doc);
    },

    async answerAuthorization(op: OperationDoc, doc: TransactionDoc) {
      if (doc.status === "declined") {
        await this.operations.reject(op, doc.id, doc.declineReason ?? "card_declined");
        throw declined(doc.declineReason ?? "card_declined", doc.id);
      }
      await this.operations.succeed(op, doc.id);
      return toTransaction(doc);
    },

    async settle(ctx: ShopContext<TransactionRef>, operation: PaymentOperation) {
      const key = ctx.params.idempotencyKey;
      const tx = await this.transactionOf(ctx.params);
      const amount = operation.kind === "refund" ? (operation.amount ?? "rest") : null;
      const claim = await this.operations.claim(key, operation.kind, fingerprintOf({ transactionId: tx.id, amount }), tx.id);
      if (!claim.run) return toTransaction(await this.recorded(claim.op.transactionId));
      return this.operations.failOnError(claim.op, () => this.settleOnce(ctx, claim.op, operation, tx.id));
    },

    async settleOnce(ctx: ShopContext<TransactionRef>, op: OperationDoc, operation: PaymentOperation, transactionId: string) {
      const key = ctx.params.idempotencyKey;
      let held: { doc: TransactionDoc; plan: Plan | null };
      try {
        held = await this.holdTransaction(transactionId, operation, key);
      } catch (err) {
        await this.operations.abandon(op); // nothing was done: the key stays unused
        throw err;
      }
      const { doc, plan } = held;
      if (!plan) {
        // Done by an earlier owner of this key that stopped before settling the key.
        await this.operations.succeed(op, doc.id);
        return toTransaction(doc);
      }

      let receipt: GatewayReceipt;
      try {
        const request = { gatewayRef: String(doc.gatewayRef), amount: plan.amount || doc.amount, currency: doc.currency, idempotencyKey: key };
        receipt = await this.callGateway(operation.kind, doc.orderId, () => this.gateway[operation.kind](request));
      } catch (err) {
        if (!isTransientGatewayError(err)) this.logger.error(`Payment processor error on ${operation.kind} of order ${doc.orderId}: ${errorText(err)}`);
        await this.updateWhere({ _id: doc.id, "lock.key": key }, { $set: { lock: null } });
        await this.operations.fail(op, doc.id);
        this.signal(ctx, "payment.failed", { ...eventFacts(doc), operation: operation.kind, reason: "gateway_unavailable", at: now() });
        throw gatewayUnavailable(operation.kind, doc.id);
      }

      const at = now();
      const entry: HistoryEntry = { status: plan.status, at, ...(plan.amount > 0 ? { amount: plan.amount } : {}), operationKey: key, reference: receipt.reference };
      // The settled balance and its event in one write; the event tells the balance planned (and now stored).
      const settledFacts = { ...eventFacts({ ...doc, status: plan.status, captured: plan.captured, refunded: plan.refunded }), at };
      const payload = {
        ...settledFacts,
        ...(operation.kind === "refund" ? { amount: plan.amount, refunded: plan.refunded } : {}),
        ...(operation.kind === "capture" ? { captured: plan.captured } : {}),
      };
      const settle = (mark: Record<string, string>) =>
        this.updateWhere(
          { _id: doc.id, "lock.key": key },
          { $set: { status: plan.status, captured: plan.captured, refunded: plan.refunded, lock: null, updatedAt: at }, $push: { history: entry, ...mark } },
        ) as Promise<TransactionDoc | null>;
      // A refund and its durable event in one write (the transaction carries the event's id); a capture or void is only signalled.
      const updated =
        operation.kind === "refund"
          ? await this.commitWithEvent<TransactionDoc>("payment.refunded", payload, (eventId) => settle(outboxMark(eventId)), ctx)
          : await settle({});
      if (updated && operation.kind !== "refund") this.signal(ctx, SIGNALLED_SETTLEMENTS[operation.kind], payload);
      if (!updated) {
        // Only when this call outlived its lease and another took the transaction over. The key is marked failed
        // (failOnError): a retry with it re-drives the operation, and the processor answers its key as before.
        this.logger.error(`Lost the hold on transaction ${doc.id} during ${operation.kind} (${key}); the processor was called`);
        throw conflict("The transaction changed meanwhile, try again with the same key", "CONCURRENT_UPDATE");
      }
      await this.operations.succeed(op, updated.id);
      return toTransaction(updated);
    },

    /**
     * Holds the transaction for this operation: a conditional update on the
     * balance that was planned against, so a concurrent capture, void or
     * refund of it waits instead of reaching the processor alongside.
     * `plan` is null when this key already completed on it.
     */
    async holdTransaction(id: string, operation: PaymentOperation, key: string) {
      const deadline = Date.now() + this.settings.pendingWaitMs;
      for (;;) {
        const doc = await this.recorded(id);
        if (doc.history.some((entry) => entry.operationKey === key)) return { doc, plan: null };
        const plan = planOperation(doc, operation);
        const at = Date.now();
        const heldByOther = doc.lock !== null && doc.lock.key !== key && doc.lock.until >= at;
        if (!heldByOther) {
          const held = (await this.updateWhere(
            { _id: id, status: doc.status, captured: doc.captured, refunded: doc.refunded, $or: [{ lock: null }, { "lock.key": key }, { "lock.until": { $lt: at } }] },
            { $set: { lock: { key, until: at + this.settings.operationLeaseMs } } },
          )) as TransactionDoc | null;
          if (held) return { doc: held, plan };
          continue; // it changed between the read and the write: plan again
        }
        if (at >= deadline) throw conflict("Another operation on this transaction is in progress, try again shortly", "TRANSACTION_BUSY", { transactionId: id });
        await sleep(POLL_MS);
      }
    },

    async transactionOf(ref: { transactionId?: string; orderId?: string }) {
      const { transactionId, orderId } = ref;
      if (transactionId) {
        const doc = (await this.findEntityById(transactionId)) as TransactionDoc | null;
        if (!doc || (orderId && doc.orderId !== orderId)) throw notFound("Transaction", { transactionId });
        return doc;
      }
      if (!orderId) {
        const message = "Send the transactionId or the orderId of the payment.";
        throw unprocessable(message, [{ field: "transactionId", message, type: "required" }]);
      }
      // The order's payment: its newest transaction that went through (declined and failed attempts moved no money).
      const [doc] = await this.adapter.find({ query: { orderId, status: { $nin: ["declined", "failed"] } }, sort: ["-createdAt"], limit: 1 });
      if (!doc) throw notFound("Transaction", { orderId });
      return this.adapter.afterRetrieveTransformID(doc, "id") as TransactionDoc;
    },

    async recorded(id: string | undefined) {
      const doc = id ? ((await this.findEntityById(id)) as TransactionDoc | null) : null;
      if (!doc) throw notFound("Transaction", { id });
      return doc;
    },

    /**
     * Every payment event leaves through here: the one place to put an outbox
     * for durable delivery. Payloads are built from eventFacts(): no card data.
     */
    signal(ctx: ShopContext<unknown>, event: string, payload: Record<string, unknown>) {
      // Best effort (a Moleculer event, nothing sent when nobody listens): see SIGNALLED_SETTLEMENTS.
      ctx.emit(event, payload).catch((err: unknown) => this.logger.warn(`${event} not emitted: ${errorText(err)}`));
    },
  },

  created() {
    this.gateway = this.createGateway();
  },

  async started() {
    this.operationStore = await openCollection(this, { collection: "payment_operations", database: "payments", indexes: OPERATION_INDEXES });
    this.operations = new OperationLog({ store: this.operationStore, leaseMs: this.settings.operationLeaseMs, pendingWaitMs: this.settings.pendingWaitMs });
    // Hourly: finished operations' records past their retention (OPERATION_RETENTION_MS) go.
    this.pruneTimer = setInterval(() => {
      this.operations.prune(Date.now() - OPERATION_RETENTION_MS).catch((err: unknown) => this.logger.warn(`Pruning payment operations failed: ${errorText(err)}`));
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  },

  async stopped() {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.operationStore?.disconnect();
  },
};

export default PaymentsService;
