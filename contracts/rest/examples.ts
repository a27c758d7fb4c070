/**
 * One realistic instance of each shape of contracts/rest/schemas.ts: the
 * examples of /api/openapi.json. Redocly's lint (npm run lint:openapi) checks
 * each against its schema.
 */
const at = "2026-11-21T19:40:35.114Z";
const later = "2026-11-21T19:41:02.501Z";
const address = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
const user = { id: "6756a4f0c3b2a1d4e5f60718", email: "ada@example.com", name: "Ada", role: "customer", address, createdAt: at, updatedAt: at };
const product = {
  id: "6756a4f0c3b2a1d4e5f60720",
  sku: "EL-1001",
  name: "Desk Lamp",
  description: "A warm LED lamp",
  category: "electronics",
  price: 1999,
  currency: "USD",
  stock: 12,
  images: ["https://example.com/images/desk-lamp.jpg"],
  weightGrams: 350,
  createdAt: at,
  updatedAt: at,
};
const page = <T>(row: T) => ({ rows: [row], total: 1, page: 1, pageSize: 20, totalPages: 1 });
const orderItem = { productId: product.id, sku: "EL-1001", name: "Desk Lamp", unitPrice: 1999, quantity: 2, lineTotal: 3998 };
const order = {
  id: "6756a4f0c3b2a1d4e5f60730",
  userId: user.id,
  status: "paid",
  items: [orderItem],
  subtotal: 3998,
  shippingCost: 599,
  total: 4597,
  currency: "USD",
  shippingAddress: address,
  shippingMethod: "standard",
  payment: { status: "captured", transactionId: "tx_3f9a1c2b7d", brand: "visa", last4: "4242" },
  history: [
    { status: "pending", at, reason: "checkout started" },
    { status: "paid", at: later, reason: "payment captured" },
  ],
  createdAt: at,
  updatedAt: later,
};
const history = [
  { status: "label_created", at },
  { status: "in_transit", at: later },
];
const notification = {
  id: "6756a4f0c3b2a1d4e5f60740",
  kind: "order_confirmation",
  title: "Order confirmed",
  body: "Thank you for your order of 2 items (USD 45.97).",
  data: { orderId: order.id, total: 4597, currency: "USD", itemCount: 2 },
  occurredAt: at,
  createdAt: later,
};

const webhookEndpoint = { id: "6756a4f0c3b2a1d4e5f607a0", url: "https://erp.example.com/hooks/shop", events: ["order.paid", "order.cancelled"], description: "ERP", enabled: true, createdAt: at, updatedAt: at };
const webhookDelivery = {
  id: "6756a4f0c3b2a1d4e5f607b0",
  endpointId: webhookEndpoint.id,
  event: "order.paid",
  messageId: "msg_6756a4f0c3b2a1d4e5f60790",
  status: "succeeded",
  attempts: 1,
  lastStatusCode: 200,
  lastError: null,
  lastResponseBody: "ok",
  lastAttemptAt: later,
  nextAttemptAt: null,
  retries: 0,
  createdAt: at,
  finishedAt: later,
};

export const EXAMPLES = {
  User: user,
  Session: { user, token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI2NzU2YTRmMCJ9.c2lnbmF0dXJl" },
  UserPage: page(user),
  Product: product,
  AdminProduct: { ...product, reserved: 1, archived: false },
  ProductPage: page(product),
  Category: { name: "electronics", count: 42 },
  Cart: { items: [{ ...orderItem }], itemCount: 2, subtotal: 3998, currency: "USD" },
  Order: order,
  OrderPage: page(order),
  AdminOrder: { ...order, customer: { email: "ada@example.com", name: "Ada" } },
  AdminOrderPage: page({ ...order, customer: { email: "ada@example.com", name: "Ada" } }),
  Tracking: { orderId: order.id, carrier: "ShopPost", trackingNumber: "SP123456789012", status: "in_transit", method: "standard", estimatedDays: 5, history, createdAt: at, updatedAt: later },
  Shipment: {
    id: "6756a4f0c3b2a1d4e5f60750",
    orderId: order.id,
    userId: user.id,
    method: "standard",
    carrier: "ShopPost",
    trackingNumber: "SP123456789012",
    status: "in_transit",
    address,
    items: [{ productId: product.id, quantity: 2 }],
    weightGrams: 700,
    estimatedDays: 5,
    history,
    createdAt: at,
    updatedAt: later,
  },
  Notification: notification,
  NotificationPage: page(notification),
  Health: { status: "ok" },
  Readiness: {
    ready: true,
    status: "ready",
    transporter: "connected",
    missing: [],
    splitStorage: [],
    routesPending: [],
    services: { cart: "available", notifications: "available", orders: "available", payments: "available", products: "available", shipping: "available", users: "available" },
  },
  FaultRules: { rules: [{ target: "payments.authorize", latencyMs: 2000, errorRate: 0.1, errorCode: 503 }] },
  ClusterView: {
    at: later,
    nodes: [
      { nodeID: "gateway-7f9c", hostname: "gateway-7f9c", available: true, services: ["api", "ops"], cpu: 12, uptimeSeconds: 5400, memoryBytes: 148_000_000, leftAt: null },
      { nodeID: "catalog-2b11", hostname: "catalog-2b11", available: false, services: ["cart", "products"], cpu: null, uptimeSeconds: null, memoryBytes: null, leftAt: at },
    ],
    services: [{ name: "api", nodes: 1 }, { name: "ops", nodes: 1 }],
    actions: [{ action: "products.list", service: "products", nodes: 2, requestsPerSecond: 41.5, errorsPerSecond: 0, errorRatio: 0, requestsTotal: 182_340, errorsTotal: 0, p95Ms: 7.9 }],
    breakers: [{ callerNodeID: "gateway-7f9c", action: "payments.charge", targetNodeID: "checkout-91d0", state: "open" }],
  },
  EventBacklogs: {
    consumers: [{ group: "notifications", pending: 0, unacked: 1, deadLetters: 2 }],
    outboxes: [{ service: "orders", ready: 0, pending: 0, oldestReadyAgeSeconds: 0 }],
  },
  DeadLetterList: {
    rows: [
      {
        seq: 3,
        group: "notifications",
        event: "order.paid",
        envelope: { id: "6756a4f0c3b2a1d4e5f60790", event: "order.paid", payload: { orderId: "6756a4f0c3b2a1d4e5f60730" }, occurredAt: at },
        reason: "SMTP server refused the connection",
        deliveries: 5,
        deadAt: later,
      },
    ],
  },
  Replayed: { replayed: 1 },
  ShippingQuote: { method: "standard", amount: 599, currency: "USD", carrier: "UPS", estimatedDays: 3, zone: "domestic", weightGrams: 700, free: false },
  Money: { amount: 1843, currency: "EUR" },
  RecommendedProduct: { ...product, reason: "bought_together" },
  Currency: { code: "EUR", name: "Euro", decimals: 2, rate: "0.9215", updatedAt: at },
  CurrencyList: { base: "USD", currencies: [{ code: "EUR", name: "Euro", decimals: 2, rate: "0.9215", updatedAt: at }] },
  WebhookEndpoint: { ...webhookEndpoint },
  WebhookEndpointPage: page({ ...webhookEndpoint, backlog: 0, dead: 0 }),
  WebhookDelivery: webhookDelivery,
  WebhookDeliveryPage: page(webhookDelivery),
  OpenApiDocument: { openapi: "3.1.0", info: { title: "Moleculer Shop API", version: "0.1.0" }, paths: {} },
};
