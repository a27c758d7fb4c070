/**
 * What the checkout scenarios (S4, S5) need around the load itself: an
 * admin, stock enough for every order the run can place, many registered
 * shoppers, and afterwards the consistency check of stock, payments and
 * orders, read from the services themselves through the cluster's broker.
 */
import { randomBytes } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { PLATFORM_ENV } from "./processes";

export interface ShopUser {
  id: string;
  token: string;
}

export const CHECKOUT_ADDRESS = { line1: "1 Bench Street", city: "Springfield", postalCode: "12345", country: "US" };
export const APPROVED_CARD = { cardNumber: "4242424242424242", expMonth: 12, expYear: new Date().getFullYear() + 3, cvc: "123" };

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

export async function adminToken(baseUrl: string): Promise<string> {
  const { token } = await json<{ token: string }>(await post(`${baseUrl}/api/auth/login`, { email: PLATFORM_ENV.ADMIN_EMAIL, password: PLATFORM_ENV.ADMIN_PASSWORD }));
  return token;
}

/** Every listed product, stock set to `stock` (so no order of the run is refused for stock); their ids. */
export async function stockUp(baseUrl: string, stock: number): Promise<string[]> {
  const token = await adminToken(baseUrl);
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const body = await json<{ rows: { id: string }[]; totalPages: number }>(await fetch(`${baseUrl}/api/products?pageSize=100&page=${page}`));
    ids.push(...body.rows.map((r) => r.id));
    if (page >= body.totalPages) break;
  }
  await Promise.all(ids.map(async (id) => json(await post(`${baseUrl}/api/products/${id}/stock`, { set: stock }, token))));
  return ids;
}

/** `count` new customers, a few registrations at a time (each hashes a password: ~30 ms of CPU). */
export async function registerUsers(baseUrl: string, count: number, parallel = 4): Promise<ShopUser[]> {
  const run = randomBytes(3).toString("hex");
  const users: ShopUser[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const body = await json<{ token: string; user: { id: string } }>(
        await post(`${baseUrl}/api/auth/register`, { email: `bench-${run}-${i}@example.com`, password: "bench-password", name: `Shopper ${i}` }),
      );
      users.push({ id: body.user.id, token: body.token });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return users;
}

/**
 * Users handed to one shopper (one connection) at a time, so that one
 * user's cart never sees two requests at once. A user not given back (its
 * request timed out) is lent again after `leaseMs`.
 */
export class UserPool {
  private readonly busyUntil = new Map<ShopUser, number>();
  private cursor = 0;

  constructor(
    readonly users: ShopUser[],
    private readonly leaseMs = 30_000,
  ) {}

  take(): ShopUser {
    const now = Date.now();
    for (let i = 0; i < this.users.length; i++) {
      const user = this.users[(this.cursor + i) % this.users.length];
      if ((this.busyUntil.get(user) ?? 0) <= now) {
        this.cursor = (this.cursor + i + 1) % this.users.length;
        this.busyUntil.set(user, now + this.leaseMs);
        return user;
      }
    }
    throw new Error(`All ${this.users.length} users are busy: give the pool more users than connections`);
  }

  give(user: ShopUser): void {
    this.busyUntil.delete(user);
  }
}

/** Latencies (ms) of one kind of request, and how they were answered. */
export class Tally {
  latencies: number[] = [];
  statuses = new Map<number, number>();

  record(status: number, ms: number): void {
    this.latencies.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  reset(): void {
    this.latencies = [];
    this.statuses.clear();
  }

  count(status?: number): number {
    if (status !== undefined) return this.statuses.get(status) ?? 0;
    return this.latencies.length;
  }

  percentile(p: number): number {
    if (this.latencies.length === 0) return NaN;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(1));
  }

  describe(): string {
    return [...this.statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ");
  }
}

interface AdminProduct {
  id: string;
  stock: number;
  reserved: number;
}

interface Order {
  id: string;
  status: string;
  total: number;
  items: { productId: string; quantity: number }[];
}

interface Transaction {
  id: string;
  status: string;
  amount: number;
  captured: number;
}

export type StockSnapshot = Map<string, { stock: number; reserved: number }>;

/** Stock and reserved units of `ids`, read past the catalog cache. */
export async function stockSnapshot(broker: ServiceBroker, ids: string[]): Promise<StockSnapshot> {
  const products = await broker.call<AdminProduct[], { ids: string[] }>("products.getMany", { ids }, { meta: { $cache: false } });
  return new Map(products.map((p) => [p.id, { stock: p.stock, reserved: p.reserved }]));
}

async function orderCount(broker: ServiceBroker): Promise<number> {
  return (await broker.call<{ total: number }, object>("orders.adminList", { page: 1, pageSize: 1 })).total;
}

async function ordersWith(broker: ServiceBroker, status: string): Promise<Order[]> {
  const orders: Order[] = [];
  for (let page = 1; ; page++) {
    const body = await broker.call<{ rows: Order[]; totalPages: number }, object>("orders.adminList", { page, pageSize: 100, status });
    orders.push(...body.rows);
    if (page >= body.totalPages) return orders;
  }
}

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export interface Consistency {
  ok: boolean;
  problems: string[];
  paidOrders: number;
  failedOrders: number;
  pendingOrders: number;
  capturedPayments: number;
  capturedAmount: number;
  paidTotal: number;
  unitsSold: number;
  stockDecrease: number;
  reservedLeft: number;
}

/**
 * After a checkout run: no order left pending (waits for sagas still
 * finishing), every product's stock decreased by exactly the units of its
 * paid orders and nothing still reserved, one captured payment of the
 * order's total per paid order and none on any other order, and every
 * order the shoppers were answered 201 for is paid.
 */
export async function checkConsistency(broker: ServiceBroker, before: StockSnapshot, answeredPaid: Set<string>): Promise<Consistency> {
  const problems: string[] = [];
  let pending: Order[] = [];
  const deadline = Date.now() + 30_000;
  // Checkouts the load generator gave up on at the end still run on the server, and some create their
  // order only now: read once nothing is pending and the number of orders held still for a second.
  // (An order created during the reads below would shift the pages: one order read twice, another missed.)
  let seen = -1;
  for (;;) {
    pending = await ordersWith(broker, "pending");
    const total = await orderCount(broker);
    if ((pending.length === 0 && total === seen) || Date.now() >= deadline) break;
    seen = total;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (pending.length > 0) problems.push(`${pending.length} orders still pending 30 s after the load: ${pending.slice(0, 5).map((o) => o.id).join(", ")}`);

  // Sold: paid, or moved on since (shipping may mark them shipped).
  const read = [...(await ordersWith(broker, "paid")), ...(await ordersWith(broker, "shipped")), ...(await ordersWith(broker, "delivered"))];
  const paid = [...new Map(read.map((order) => [order.id, order])).values()];
  if (paid.length !== read.length) problems.push(`orders changed while they were read: ${read.length - paid.length} read twice`);
  const others = [...(await ordersWith(broker, "failed")), ...(await ordersWith(broker, "cancelled")), ...pending];
  const after = await stockSnapshot(broker, [...before.keys()]);

  const sold = new Map<string, number>();
  for (const order of paid) for (const item of order.items) sold.set(item.productId, (sold.get(item.productId) ?? 0) + item.quantity);
  let unitsSold = 0;
  let stockDecrease = 0;
  let reservedLeft = 0;
  for (const [id, was] of before) {
    const now = after.get(id);
    if (!now) {
      problems.push(`product ${id} is gone`);
      continue;
    }
    const units = sold.get(id) ?? 0;
    unitsSold += units;
    stockDecrease += was.stock - now.stock;
    reservedLeft += now.reserved;
    if (was.stock - now.stock !== units) problems.push(`product ${id}: stock fell by ${was.stock - now.stock}, paid orders hold ${units}`);
    if (now.reserved !== was.reserved) problems.push(`product ${id}: ${now.reserved} units still reserved (was ${was.reserved})`);
  }
  for (const id of sold.keys()) if (!before.has(id)) problems.push(`paid orders hold product ${id}, which was not stocked for the run`);

  let capturedPayments = 0;
  let capturedAmount = 0;
  const payments = await inBatches([...paid, ...others], 50, async (order) => ({
    order,
    txs: await broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId: order.id }),
  }));
  for (const { order, txs } of payments) {
    const captured = txs.filter((tx) => tx.status === "captured");
    const moneyMoved = txs.filter((tx) => tx.captured > 0);
    capturedPayments += captured.length;
    capturedAmount += captured.reduce((sum, tx) => sum + tx.captured, 0);
    if (order.status !== "failed" && order.status !== "cancelled" && order.status !== "pending") {
      if (captured.length !== 1) problems.push(`paid order ${order.id} has ${captured.length} captured payments`);
      else if (captured[0].captured !== order.total) problems.push(`paid order ${order.id}: captured ${captured[0].captured}, total ${order.total}`);
      if (moneyMoved.length > 1) problems.push(`paid order ${order.id} was charged ${moneyMoved.length} times`);
    } else if (captured.length > 0) {
      problems.push(`${order.status} order ${order.id} has a captured payment`);
    }
  }
  const paidTotal = paid.reduce((sum, o) => sum + o.total, 0);
  if (capturedPayments !== paid.length) problems.push(`${capturedPayments} captured payments for ${paid.length} paid orders`);
  if (capturedAmount !== paidTotal) problems.push(`captured ${capturedAmount} cents, paid orders total ${paidTotal}`);

  const paidIds = new Set(paid.map((o) => o.id));
  const notPaid = [...answeredPaid].filter((id) => !paidIds.has(id));
  if (notPaid.length > 0) problems.push(`${notPaid.length} orders answered 201 paid are not paid: ${notPaid.slice(0, 5).join(", ")}`);

  return {
    ok: problems.length === 0,
    problems,
    paidOrders: paid.length,
    failedOrders: others.length - pending.length,
    pendingOrders: pending.length,
    capturedPayments,
    capturedAmount,
    paidTotal,
    unitsSold,
    stockDecrease,
    reservedLeft,
  };
}
