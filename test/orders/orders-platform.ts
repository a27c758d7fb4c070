/**
 * The whole shop on one local broker for the orders suites: the real users,
 * products, cart, payments, shipping and orders services behind the gateway,
 * a recorder of order events, and shortcuts to set up a shopper with a cart.
 * Payments answer without processor latency; the recovery sweeper is off
 * (suites drive it through orders.recover).
 */
import { durableEventRecorder, ORDER_EVENTS, type RecordedEvent } from "../support/durable-events";
import { randomBytes } from "node:crypto";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import UsersService from "../../services/users/users.service";
import ShippingService from "../../services/shipping/shipping.service";
import OrdersService, { type OrdersSettings } from "../../services/orders/orders.service";
import { config } from "../../platform/config";
import type { DbAdapter } from "../../platform/db/db-adapter";
import type { PublicOrder } from "../../services/orders/order-model";
import type { Transaction } from "../../services/payments/payment-records";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, type ApiClient, type ApiResponse } from "../support/http";
import { productsService, productBody } from "../products/catalog-platform";
import { cartService } from "../cart/cart-platform";
import { paymentsService } from "../payments/payments-platform";

export { TEST_CARDS } from "../../services/payments/simulated-gateway";
export type { PublicOrder, Transaction };

export const ADDRESS = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

export const futureYear = () => new Date().getUTCFullYear() + 3;

export function payment(cardNumber = "4242424242424242", overrides: Record<string, unknown> = {}) {
  return { cardNumber, expMonth: 12, expYear: futureYear(), cvc: "123", ...overrides };
}

/** A checkout body with the approved test card and an address, unless overridden. */
export function checkoutBody(overrides: Record<string, unknown> = {}) {
  return { shippingAddress: ADDRESS, payment: payment(), ...overrides };
}

/** The id of the order a failed checkout left (its error's `data.orderId`). */
export const failedOrderId = (res: ApiResponse<unknown>) => (res.body as { data: { orderId: string } }).data.orderId;

export const newKey = (prefix = "key") => `${prefix}-${randomBytes(6).toString("hex")}`;

export interface SeenEvent {
  /** The envelope's id: the outbox entry it was published from. */
  id?: string;
  event: string;
  payload: Record<string, any>;
}

export interface Shopper {
  token: string;
  userId: string;
}

export interface Product {
  id: string;
  sku: string;
  price: number;
  stock: number;
  reserved: number;
}

export interface OrdersPlatform {
  platform: LocalPlatform;
  broker: ServiceBroker;
  http: ApiClient;
  events: SeenEvent[];
  shopper(): Promise<Shopper>;
  /** A fresh shopper with `quantity` units of a fresh product (price 1999, `stock` in stock) in the cart. */
  shopperWithCart(stock?: number, quantity?: number): Promise<{ shopper: Shopper; product: Product }>;
  adminToken(): Promise<string>;
  createProduct(overrides?: Record<string, unknown>): Promise<Product>;
  addToCart(shopper: Shopper, productId: string, quantity: number): Promise<void>;
  cartLines(shopper: Shopper): Promise<{ productId: string; quantity: number }[]>;
  checkout<T = PublicOrder>(shopper: Shopper, body?: Record<string, unknown>, key?: string | null): Promise<ApiResponse<T>>;
  /** stock and reserved as stored (the public product hides reserved). */
  levels(productId: string): Promise<{ stock: number; reserved: number }>;
  transactions(orderId: string): Promise<Transaction[]>;
  stop(): Promise<void>;
}

function eventRecorder(seen: SeenEvent[]): ServiceSchema {
  return durableEventRecorder("order-events", ORDER_EVENTS, seen as RecordedEvent[]);
}

export function ordersService(settings: Partial<OrdersSettings> = {}, methods: Record<string, unknown> = {}): ServiceSchema {
  return { name: "orders", mixins: [OrdersService], settings: { recoveryIntervalMs: 0, ...settings }, methods } as ServiceSchema;
}

export async function startOrdersPlatform(opts: { orders?: ServiceSchema; extra?: ServiceSchema<any, any, any>[] } = {}): Promise<OrdersPlatform> {
  const events: SeenEvent[] = [];
  const platform = await startLocalPlatform({
    services: [
      UsersService,
      productsService(),
      cartService(),
      paymentsService(),
      { name: "shipping", mixins: [ShippingService], settings: { carrierTimerMs: 0 } } as ServiceSchema,
      opts.orders ?? ordersService(),
      eventRecorder(events),
      ...(opts.extra ?? []),
    ],
    gateway: true,
    gatewaySettings: { expectedServices: ["users", "products", "cart", "payments", "shipping", "orders"] },
  });
  const { broker } = platform;
  const http = api(`${platform.baseUrl}/api`);
  const products = () => broker.getLocalService("products") as unknown as { adapter: DbAdapter };

  const shop: OrdersPlatform = {
    platform,
    broker,
    http,
    events,
    async shopper() {
      const email = `shopper-${randomBytes(5).toString("hex")}@example.com`;
      const session = await broker.call<{ token: string; user: { id: string } }, Record<string, unknown>>("users.register", { email, password: "correct horse battery", name: "Shopper" });
      return { token: session.token, userId: session.user.id };
    },
    async shopperWithCart(stock = 10, quantity = 2) {
      const shopper = await shop.shopper();
      const product = await shop.createProduct({ stock, price: 1999 });
      await shop.addToCart(shopper, product.id, quantity);
      return { shopper, product };
    },
    async adminToken() {
      const session = await broker.call<{ token: string }, Record<string, unknown>>("users.login", { email: config.adminEmail, password: config.adminPassword });
      return session.token;
    },
    createProduct: (overrides = {}) => broker.call<Product, Record<string, unknown>>("products.create", productBody(overrides)),
    async addToCart(shopper, productId, quantity) {
      const res = await http.post("/cart/items", { productId, quantity }, { token: shopper.token });
      if (res.status >= 300) throw new Error(`adding to the cart answered ${res.status}: ${res.text}`);
    },
    cartLines: (shopper) => broker.call("cart.contentsOf", { userId: shopper.userId }),
    checkout(shopper, body = checkoutBody(), key = newKey()) {
      return http.post("/orders", body, { token: shopper.token, headers: key === null ? {} : { "Idempotency-Key": key } });
    },
    async levels(productId) {
      const doc = await products().adapter.findOne({ _id: productId });
      return { stock: doc?.stock, reserved: doc?.reserved };
    },
    transactions: (orderId) => broker.call<Transaction[], { orderId: string }>("payments.listByOrder", { orderId }),
    stop: () => platform.stop(),
  };
  return shop;
}
