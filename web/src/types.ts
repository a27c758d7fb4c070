/**
 * What the storefront reads from the API (docs/api.md). The generated schema
 * (clients/typescript/schema.d.ts) types paths and request bodies; its answers
 * are still `unknown`, so the fields read here are named once, narrowly.
 */
export interface Page<T> {
  rows: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

/** Integer minor units of `currency` (yen for JPY, fils for KWD). */
export interface Money {
  amount: number;
  currency: string;
}

/** A price band of the facets: `min` included, `max` excluded, `null` for no upper bound (cents). */
export interface PriceBand {
  min: number;
  max: number | null;
  count: number;
}

export interface Facets {
  categories: Category[];
  priceBands: PriceBand[];
}

/** The catalog's list answer; `facets` when asked for. */
export interface ProductPage extends Page<Product> {
  facets?: Facets;
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: number;
  currency: string;
  stock: number;
  /** The price in the display currency asked for (`currency=EUR`). */
  display?: Money;
}

/** "Customers also bought": bought together in paid orders, or similar (same category, near in price). */
export interface Recommendation extends Product {
  reason: "bought_together" | "similar";
}

/** A display currency (GET /api/currencies): `rate` units of it for one unit of the base currency. */
export interface DisplayCurrency {
  code: string;
  name: string;
  decimals: number;
  rate: string;
}

export interface Currencies {
  base: string;
  currencies: DisplayCurrency[];
}

export interface Category {
  name: string;
  count: number;
}

export type CartProblem = "not_found" | "archived" | "currency_mismatch" | "insufficient_stock";

export interface CartLine {
  productId: string;
  sku: string | null;
  name: string | null;
  unitPrice: number | null;
  quantity: number;
  lineTotal: number;
  available?: number;
  problem?: CartProblem;
  /** The line total in the display currency asked for. */
  display?: Money;
}

export interface Cart {
  items: CartLine[];
  itemCount: number;
  subtotal: number;
  currency: string | null;
  /** The subtotal in the display currency asked for. */
  display?: Money;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role?: "customer" | "admin";
  address?: Address;
}

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export type ShippingMethod = "standard" | "express";

export interface Quote {
  method: ShippingMethod;
  amount: number;
  currency: string;
  carrier: string;
  estimatedDays: number;
  free: boolean;
}

export type OrderStatus = "pending" | "paid" | "shipped" | "delivered" | "cancelled" | "failed";

export interface Order {
  id: string;
  status: OrderStatus;
  items: { productId: string; sku: string; name: string; unitPrice: number; quantity: number; lineTotal: number }[];
  subtotal: number;
  shippingCost: number;
  total: number;
  currency: string;
  shippingAddress: Address;
  shippingMethod: ShippingMethod;
  payment?: { status: string; brand?: string; last4?: string };
  shipment?: { carrier: string; trackingNumber: string };
  history: { status: OrderStatus; at: string; reason?: string }[];
  failureReason?: string;
  /** The currency the shopper saw prices in at checkout, its rate then and the total at it. */
  display?: { currency: string; rate: string; total: Money };
  createdAt: string;
}

export interface Shipment {
  carrier: string;
  trackingNumber: string;
  status: string;
  estimatedDays: number;
  history: { status: string; at: string }[];
}

export interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  occurredAt: string;
}

/** The error shape of every failed answer (docs/api.md, "Errors"). */
export interface ErrorBody {
  name?: string;
  message: string;
  code: number;
  type: string;
  data?: unknown;
}

export interface FieldProblem {
  field: string;
  message: string;
  type?: string;
}
