/**
 * The request sequences of the shopper scenarios, run by autocannon (one
 * sequence per connection, looped; `context` lives for one pass):
 *
 *   S4 checkout: add one line to the cart, then check out (POST /api/orders
 *      with a fresh Idempotency-Key and an approved test card). A pass holds
 *      one user from the pool, so one user's cart never sees two requests at
 *      once. "Paid orders per second" = checkouts answered 201 with status
 *      `paid` during the measured runs, per second of those runs; the
 *      latencies of the checkout requests are timed on their own.
 *   S5 mixed shopper: a session of 21 requests in the proportions:
 *      browse (a category listing) 10, view a product 5, view the cart 3, add
 *      to the cart 2, check out 1 (last, so the cart holds the two adds).
 *
 * Both remember the ids of the orders answered `paid` for the consistency check.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Phase, RequestData, RunHooks, RunResult, SequenceStep } from "./load";
import { APPROVED_CARD, CHECKOUT_ADDRESS, Tally, type ShopUser, UserPool } from "./shop";

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

export interface ShopperRun {
  requests: SequenceStep[];
  hooks: RunHooks;
  /** Orders answered 201 paid, warm-up included (they are all checked afterwards). */
  answeredPaid: Set<string>;
  /** Checkout latencies and answers of the measured runs (all of them). */
  checkouts: Tally;
  rankBy?: (run: RunResult) => number;
}

/**
 * A user is lent to one pass at a time. A pass cut off by the end of a run
 * (or by autocannon's 10 s timeout) never gives its user back: the lease
 * frees it after any request of it has been answered or dropped.
 */
const USER_LEASE_MS = 11_000;

type Ctx = Record<string, unknown> & { user?: ShopUser; sentAt?: number };

/** The pieces both scenarios share: who shops, timing, checkout bookkeeping. */
function checkoutStep(pool: UserPool, state: { phase: Phase; run: Tally; all: Tally; answeredPaid: Set<string>; paid: number }): SequenceStep {
  const runId = randomBytes(3).toString("hex");
  let serial = 0;
  const body = JSON.stringify({ shippingAddress: CHECKOUT_ADDRESS, shippingMethod: "standard", payment: APPROVED_CARD });
  return {
    method: "POST",
    path: "/api/orders",
    setupRequest(req: RequestData, context: Ctx) {
      const user = context.user as ShopUser;
      context.sentAt = performance.now();
      return { ...req, body, headers: { ...req.headers, "content-type": "application/json", authorization: `Bearer ${user.token}`, "idempotency-key": `bench-${runId}-${serial++}` } };
    },
    onResponse(status: number, text: string, context: Ctx) {
      const ms = performance.now() - (context.sentAt ?? performance.now());
      if (context.user) pool.give(context.user);
      context.user = undefined;
      state.run.record(status, ms);
      if (state.phase === "measured") state.all.record(status, ms);
      if (status !== 201) return;
      const order = JSON.parse(text) as { id: string; status: string };
      if (order.status !== "paid") return;
      state.answeredPaid.add(order.id);
      if (state.phase === "measured") state.paid++;
    },
  };
}

function authed(req: RequestData, user: ShopUser, extra: Record<string, string> = {}): Record<string, string> {
  return { ...req.headers, authorization: `Bearer ${user.token}`, ...extra };
}

function addStep(pool: UserPool | null, productIds: string[], quantity: () => number, adds?: Tally): SequenceStep {
  return {
    method: "POST",
    path: "/api/cart/items",
    setupRequest(req: RequestData, context: Ctx) {
      if (pool) context.user = pool.take();
      context.addAt = performance.now();
      const user = context.user as ShopUser;
      return { ...req, headers: authed(req, user, { "content-type": "application/json" }), body: JSON.stringify({ productId: pick(productIds), quantity: quantity() }) };
    },
    onResponse(status: number, _text: string, context: Ctx) {
      adds?.record(status, performance.now() - (context.addAt as number));
    },
  };
}

function figures(state: { run: Tally; paid: number }, adds: Tally | undefined, seconds: number): Record<string, number> {
  const out: Record<string, number> = {
    paid: state.paid,
    paidPerSec: Number((state.paid / seconds).toFixed(1)),
    checkoutP50: state.run.percentile(50),
    checkoutP99: state.run.percentile(99),
    checkouts: state.run.count(),
    checkoutsNot201: state.run.count() - state.run.count(201),
  };
  if (adds) Object.assign(out, { addP50: adds.percentile(50), addP99: adds.percentile(99), addsNot2xx: adds.count() - adds.count(200) - adds.count(201) });
  return out;
}

type CheckoutState = Parameters<typeof checkoutStep>[1];

/** A run of `steps(state)`, its figures per run (checkouts; add-to-cart too when `adds` is given). */
function shopperRun(steps: (state: CheckoutState) => SequenceStep[], adds?: Tally): ShopperRun {
  const state: CheckoutState = { phase: "warmup", run: new Tally(), all: new Tally(), answeredPaid: new Set<string>(), paid: 0 };
  return {
    requests: steps(state),
    answeredPaid: state.answeredPaid,
    checkouts: state.all,
    hooks: {
      before(phase) {
        state.phase = phase;
        state.run.reset();
        adds?.reset();
        state.paid = 0;
      },
      after(_phase, _run, seconds) {
        return figures(state, adds, seconds);
      },
    },
    rankBy: (run) => run.extra?.paidPerSec ?? run.rps,
  };
}

/** S4: each connection a shopper adding one line and checking out, over and over. */
export function checkoutShoppers(users: ShopUser[], productIds: string[]): ShopperRun {
  const pool = new UserPool(users, USER_LEASE_MS);
  const adds = new Tally();
  return shopperRun((state) => [addStep(pool, productIds, () => 1 + Math.floor(Math.random() * 3), adds), checkoutStep(pool, state)], adds);
}

/** S5: sessions of 21 requests, 10 browse, 5 product, 3 cart, 2 add, 1 checkout, each session one user. */
export function mixedShoppers(users: ShopUser[], productIds: string[], categories: string[]): ShopperRun {
  const pool = new UserPool(users, USER_LEASE_MS);
  const browse: SequenceStep = {
    setupRequest: (req) => ({ ...req, path: `/api/products?category=${encodeURIComponent(pick(categories))}&sort=price` }),
  };
  const product: SequenceStep = { setupRequest: (req) => ({ ...req, path: `/api/products/${pick(productIds)}` }) };
  const cart: SequenceStep = { setupRequest: (req, context: Ctx) => ({ ...req, path: "/api/cart", headers: authed(req, context.user as ShopUser) }) };
  const add = addStep(null, productIds, () => 1);
  // The session's user is taken by its first request and given back by its checkout.
  const start: SequenceStep = {
    setupRequest(req, context: Ctx) {
      context.user = pool.take();
      return browse.setupRequest!(req, context);
    },
  };
  const [B, P, C, A] = [browse, product, cart, add];
  // S5's rank stays req/s: the ratio to B3 is what it is measured for.
  return { ...shopperRun((state) => [start, B, P, B, C, B, P, A, B, P, B, C, B, P, B, A, P, B, C, B, checkoutStep(pool, state)]), rankBy: undefined };
}
