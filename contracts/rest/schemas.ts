/**
 * What the REST API answers, as JSON Schema (OpenAPI 3.1): the named shapes
 * of docs/api.md. The gateway publishes them as `components.schemas` of
 * /api/openapi.json; each action names the ones it answers (contracts/rest/answers.ts).
 * Objects are closed (`additionalProperties: false`) so that a field a handler
 * starts to answer without documenting it fails the response-validation test.
 */
export type JsonSchema = Record<string, unknown>;

const to = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const closed = (required: string[], properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: "object",
  ...(description ? { description } : {}),
  required,
  properties,
  additionalProperties: false,
});

const id = { type: "string", description: "Opaque id" };
const timestamp = { type: "string", format: "date-time", description: "ISO 8601, UTC" };
const cents = (description: string) => ({ type: "integer", description: `${description}, integer minor units (cents)` });
const currency = { type: "string", pattern: "^[A-Z]{3}$", description: "ISO 4217 code" };
const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, "null"] });

const pageOf = (item: string): JsonSchema =>
  closed(["rows", "total", "page", "pageSize", "totalPages"], {
    rows: { type: "array", items: to(item) },
    total: { type: "integer", minimum: 0, description: "Entries over all pages" },
    page: { type: "integer", minimum: 1 },
    pageSize: { type: "integer", minimum: 1, maximum: 100 },
    totalPages: { type: "integer", minimum: 0, description: "ceil(total / pageSize)" },
  }, `One page of ${item} entries (docs/api.md, Paging)`);

const ORDER_STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "failed"];
const SHIPMENT_STATUSES = ["label_created", "in_transit", "out_for_delivery", "delivered", "cancelled"];

const product = {
  id,
  sku: { type: "string", description: "Stock keeping unit, upper case, unique" },
  name: { type: "string" },
  description: { type: "string" },
  category: { type: "string", description: "Lower-case slug" },
  price: cents("Unit price"),
  currency,
  stock: { type: "integer", minimum: 0, description: "Units that can still be bought (reservations not counted)" },
  images: { type: "array", items: { type: "string", format: "uri" } },
  weightGrams: { type: "integer", minimum: 0 },
  createdAt: timestamp,
  updatedAt: timestamp,
};
const productFields = Object.keys(product);

const address = closed(["line1", "city", "postalCode", "country"], {
  line1: { type: "string", minLength: 1, maxLength: 200 },
  line2: { type: "string", maxLength: 200 },
  city: { type: "string", minLength: 1, maxLength: 100 },
  postalCode: { type: "string", minLength: 1, maxLength: 20 },
  country: { type: "string", pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" },
}, "A postal address");

const shipmentHistory = { type: "array", items: closed(["status", "at"], { status: { type: "string", enum: SHIPMENT_STATUSES }, at: timestamp }) };

const order = closed(["id", "userId", "status", "items", "subtotal", "shippingCost", "total", "currency", "shippingAddress", "shippingMethod", "payment", "history", "createdAt", "updatedAt"], {
    id,
    userId: id,
    status: { type: "string", enum: ORDER_STATUSES },
    items: { type: "array", items: to("OrderItem") },
    subtotal: cents("Sum of the lines"),
    shippingCost: cents("Shipping"),
    total: cents("subtotal + shippingCost"),
    currency,
    shippingAddress: to("Address"),
    shippingMethod: { type: "string", enum: ["standard", "express"] },
    payment: closed(["status", "transactionId", "brand", "last4"], {
      status: { type: "string", enum: ["pending", "authorized", "captured", "voided", "refunded", "partially_refunded", "declined", "failed"] },
      transactionId: nullable({ type: "string" }),
      brand: nullable({ type: "string" }),
      last4: nullable({ type: "string", pattern: "^[0-9]{4}$" }),
    }),
    shipment: closed(["carrier", "trackingNumber"], { carrier: { type: "string" }, trackingNumber: { type: "string" } }, "Once shipped"),
    failureReason: { type: "string", description: "On failed and cancelled orders" },
    history: {
      type: "array",
      items: closed(["status", "at"], { status: { type: "string", enum: ORDER_STATUSES }, at: timestamp, reason: { type: "string" } }),
    },
    createdAt: timestamp,
    updatedAt: timestamp,
  }, "An order");

export const SCHEMAS = {
  Error: closed(["name", "message", "code", "type"], {
    name: { type: "string", description: "Error class, e.g. ValidationError" },
    message: { type: "string", description: "Human-readable; switch on `type`, not on this" },
    code: { type: "integer", description: "The HTTP status" },
    type: { type: "string", description: "Machine-readable code" },
    data: {
      description: "For 422: the fields at fault. Otherwise facts such as field, productId, service, orderId, retryAfter.",
      oneOf: [{ type: "array", items: { $ref: "#/components/schemas/FieldError" } }, { type: "object" }],
    },
  }, "Every error answer (docs/api.md, Errors)"),
  FieldError: closed(["field", "message", "type"], {
    field: { type: "string", description: "The parameter at fault, e.g. `payment.cardNumber`" },
    message: { type: "string" },
    type: { type: "string", description: "The rule that failed" },
  }),
  Address: address,
  User: closed(["id", "email", "name", "role", "createdAt", "updatedAt"], {
    id,
    email: { type: "string", format: "email" },
    name: { type: "string" },
    role: { type: "string", enum: ["customer", "admin"] },
    address: to("Address"),
    disabled: { type: "boolean", description: "Present on a disabled account" },
    createdAt: timestamp,
    updatedAt: timestamp,
  }, "An account; never its password"),
  Session: closed(["user", "token"], { user: to("User"), token: { type: "string", description: "Send as `Authorization: Bearer <token>`" } }, "An account and a token for it"),
  UserPage: pageOf("User"),
  Product: closed(productFields, product, "A product as everyone sees it"),
  AdminProduct: closed([...productFields, "reserved", "archived"], {
    ...product,
    reserved: { type: "integer", minimum: 0, description: "Units held by open reservations; on hand = stock + reserved" },
    archived: { type: "boolean" },
  }, "A product as answers to admin writes show it"),
  ProductPage: pageOf("Product"),
  Category: closed(["name", "count"], { name: { type: "string" }, count: { type: "integer", minimum: 0, description: "Listed products in the category" } }),
  CartItem: closed(["productId", "sku", "name", "unitPrice", "quantity", "lineTotal"], {
    productId: id,
    sku: nullable({ type: "string" }),
    name: nullable({ type: "string" }),
    unitPrice: nullable(cents("Current catalog price")),
    quantity: { type: "integer", minimum: 1, maximum: 999 },
    lineTotal: cents("unitPrice × quantity"),
    available: { type: "integer", minimum: 0, description: "Only on a line with a problem: units that could be bought now" },
    problem: { type: "string", enum: ["not_found", "archived", "currency_mismatch", "insufficient_stock"] },
  }, "A cart line; null sku, name and unitPrice only for a `not_found` product"),
  Cart: closed(["items", "itemCount", "subtotal", "currency"], {
    items: { type: "array", items: to("CartItem") },
    itemCount: { type: "integer", minimum: 0, description: "Units over the lines without a problem" },
    subtotal: cents("Over the lines without a problem"),
    currency: nullable(currency),
  }, "The caller's cart"),
  OrderItem: closed(["productId", "sku", "name", "unitPrice", "quantity", "lineTotal"], {
    productId: id,
    sku: { type: "string" },
    name: { type: "string" },
    unitPrice: cents("Price when ordered"),
    quantity: { type: "integer", minimum: 1 },
    lineTotal: cents("unitPrice × quantity"),
  }),
  Order: order,
  AdminOrder: { ...order, required: [...(order.required as string[]), "customer"], properties: { ...(order.properties as Record<string, JsonSchema>), customer: closed(["email"], { email: { type: "string", format: "email" }, name: { type: "string" } }, "Who placed the order") }, description: "An order as the shop's staff see it: with its customer" },
  OrderPage: pageOf("Order"),
  AdminOrderPage: pageOf("AdminOrder"),
  Tracking: closed(["orderId", "carrier", "trackingNumber", "status", "method", "estimatedDays", "history", "createdAt", "updatedAt"], {
    orderId: id,
    carrier: { type: "string" },
    trackingNumber: { type: "string" },
    status: { type: "string", enum: SHIPMENT_STATUSES },
    method: { type: "string", enum: ["standard", "express"] },
    estimatedDays: { type: "integer", minimum: 0 },
    history: shipmentHistory,
    createdAt: timestamp,
    updatedAt: timestamp,
  }, "What a customer sees of their order's shipment"),
  Shipment: closed(["id", "orderId", "userId", "method", "carrier", "trackingNumber", "status", "address", "items", "weightGrams", "estimatedDays", "history", "createdAt", "updatedAt"], {
    id,
    orderId: id,
    userId: id,
    method: { type: "string", enum: ["standard", "express"] },
    carrier: { type: "string" },
    trackingNumber: { type: "string" },
    status: { type: "string", enum: SHIPMENT_STATUSES },
    address: to("Address"),
    items: { type: "array", items: closed(["productId", "quantity"], { productId: id, quantity: { type: "integer", minimum: 1 } }) },
    weightGrams: nullable({ type: "integer", minimum: 0 }),
    estimatedDays: { type: "integer", minimum: 0 },
    history: shipmentHistory,
    createdAt: timestamp,
    updatedAt: timestamp,
  }, "A shipment as admins see it"),
  Notification: closed(["id", "kind", "title", "body", "data", "occurredAt", "createdAt"], {
    id,
    kind: { type: "string", enum: ["welcome", "order_confirmation", "order_shipped", "order_delivered", "order_cancelled", "payment_refunded"] },
    title: { type: "string" },
    body: { type: "string" },
    data: { type: "object", description: "The facts of the kind: order id, amounts, carrier, tracking number" },
    occurredAt: timestamp,
    createdAt: timestamp,
  }, "An entry of the caller's inbox"),
  NotificationPage: pageOf("Notification"),
  Health: closed(["status"], { status: { type: "string", const: "ok" } }),
  Readiness: closed(["ready", "status", "transporter", "missing", "splitStorage", "routesPending", "services"], {
    ready: { type: "boolean" },
    status: { type: "string", enum: ["ready", "unavailable"] },
    transporter: { type: "string", enum: ["connected", "disconnected", "embedded"] },
    missing: { type: "array", items: { type: "string" }, description: "Services of the build with no node" },
    splitStorage: { type: "array", items: { type: "string" }, description: "NeDB-backed services on more than one node" },
    routesPending: { type: "array", items: { type: "string" }, description: "Services whose routes the gateway has not built yet" },
    services: { type: "object", additionalProperties: { type: "string", enum: ["available", "missing"] } },
  }, "The readiness report, the same on 200 and 503"),
  FaultRules: closed(["rules"], {
    rules: {
      type: "array",
      items: closed(["target"], {
        target: { type: "string", description: "An action (`payments.authorize`) or a service (`payments`)" },
        latencyMs: { type: "integer", minimum: 0, maximum: 120000 },
        errorRate: { type: "number", minimum: 0, maximum: 1 },
        errorCode: { enum: [500, 503, 504] },
      }),
    },
  }, "The fault rules of every node"),
  ClusterView: closed(["at", "nodes", "services", "actions", "breakers"], {
    at: timestamp,
    nodes: {
      type: "array",
      items: closed(["nodeID", "hostname", "available", "services", "cpu", "uptimeSeconds", "memoryBytes", "leftAt"], {
        nodeID: { type: "string" },
        hostname: nullable({ type: "string" }),
        available: { type: "boolean" },
        services: { type: "array", items: { type: "string" } },
        cpu: nullable({ type: "number", description: "Percent, from the node's last heartbeat" }),
        uptimeSeconds: nullable({ type: "integer", description: "Null when the node did not answer in time" }),
        memoryBytes: nullable({ type: "integer", description: "Resident set size" }),
        leftAt: nullable({ ...timestamp, description: "When the node was seen leaving (listed for 10 minutes)" }),
      }),
    },
    services: { type: "array", items: closed(["name", "nodes"], { name: { type: "string" }, nodes: { type: "integer", minimum: 0 } }) },
    actions: {
      type: "array",
      items: closed(["action", "service", "nodes", "requestsPerSecond", "errorsPerSecond", "errorRatio", "requestsTotal", "errorsTotal", "p95Ms"], {
        action: { type: "string" },
        service: { type: "string" },
        nodes: { type: "integer", minimum: 0 },
        requestsPerSecond: { type: "number", minimum: 0 },
        errorsPerSecond: { type: "number", minimum: 0 },
        errorRatio: { type: "number", minimum: 0, maximum: 1 },
        requestsTotal: { type: "integer", minimum: 0 },
        errorsTotal: { type: "integer", minimum: 0 },
        p95Ms: nullable({ type: "number", description: "The slowest node's p95" }),
      }),
    },
    breakers: {
      type: "array",
      items: closed(["callerNodeID", "action", "targetNodeID", "state"], {
        callerNodeID: { type: "string" },
        action: { type: "string" },
        targetNodeID: { type: "string" },
        state: { type: "string", enum: ["open", "half-open"] },
      }),
    },
  }, "The cluster as its nodes report it"),
  EventBacklogs: closed(["consumers", "outboxes"], {
    consumers: {
      type: "array",
      items: closed(["group", "pending", "unacked", "deadLetters"], {
        group: { type: "string", description: "The consuming group (a service)" },
        pending: nullable({ type: "integer", minimum: 0, description: "Stored, not yet delivered; null when it could not be read" }),
        unacked: nullable({ type: "integer", minimum: 0, description: "Delivered, not yet settled" }),
        deadLetters: nullable({ type: "integer", minimum: 0 }),
      }),
    },
    outboxes: {
      type: "array",
      items: closed(["service", "ready", "pending", "oldestReadyAgeSeconds"], {
        service: { type: "string" },
        ready: { type: "integer", minimum: 0, description: "Stored changes whose event is not published yet" },
        pending: { type: "integer", minimum: 0, description: "Events whose producer is still at it" },
        oldestReadyAgeSeconds: { type: "number", minimum: 0 },
      }),
    },
  }, "Durable-event backlogs and dead letters, and each producer's outbox"),
  DeadLetterList: closed(["rows"], {
    rows: {
      type: "array",
      items: closed(["seq", "group", "event", "envelope", "reason", "deliveries", "deadAt"], {
        seq: { type: "integer", minimum: 1, description: "What a replay takes" },
        group: { type: "string" },
        event: { type: "string" },
        envelope: nullable(
          closed(["id", "event", "payload", "occurredAt"], {
            id: { type: "string", description: "Unique per event: consumers drop a second delivery of it" },
            event: { type: "string" },
            payload: { type: "object", additionalProperties: true, description: "The event's own data" },
            occurredAt: timestamp,
            requestId: { type: "string", description: "The request that caused it" },
            source: { type: "string", description: "The producing service" },
          }, "The event as delivered; null when it could not be read"),
        ),
        reason: { type: "string", description: "The handler's last error" },
        deliveries: { type: "integer", minimum: 1 },
        deadAt: timestamp,
      }),
    },
  }, "Dead letters, oldest first"),
  Replayed: closed(["replayed"], { replayed: { type: "integer", minimum: 0 } }, "How many dead letters went back to their group"),
  ShippingQuote: closed(["method", "amount", "currency", "carrier", "estimatedDays", "zone", "weightGrams", "free"], {
    method: { type: "string", enum: ["standard", "express"] },
    amount: cents("Shipping price"),
    currency,
    carrier: { type: "string" },
    estimatedDays: { type: "integer", minimum: 0 },
    zone: { type: "string", enum: ["domestic", "regional", "international"] },
    weightGrams: { type: "integer", minimum: 0 },
    free: { type: "boolean", description: "Standard shipping over the free-shipping threshold" },
  }, "The price of shipping a parcel"),
  Money: closed(["amount", "currency"], { amount: cents("Amount"), currency }, "An amount shown in another currency (not charged)"),
  RecommendedProduct: closed([...productFields, "reason"], {
    ...product,
    reason: { type: "string", enum: ["bought_together", "similar"], description: "Bought in the same orders, or the same category near its price" },
    display: to("Money"),
  }, "A product recommended next to another one or a cart"),
  Currency: closed(["code", "name", "decimals", "rate", "updatedAt"], {
    code: currency,
    name: { type: "string" },
    decimals: { type: "integer", minimum: 0, maximum: 4 },
    rate: { type: "string", pattern: "^[0-9]{1,9}(\\.[0-9]{1,8})?$", description: "Units of this currency per unit of the base currency, as a decimal string" },
    updatedAt: timestamp,
  }, "A display currency and its rate"),
  CurrencyList: closed(["base", "currencies"], { base: currency, currencies: { type: "array", items: to("Currency") } }, "The base currency and every display currency"),
  WebhookEndpoint: closed(["id", "url", "events", "enabled", "createdAt", "updatedAt"], {
    id,
    url: { type: "string", format: "uri" },
    events: { type: "array", items: { type: "string" } },
    description: { type: "string" },
    enabled: { type: "boolean" },
    disabledReason: { type: "string" },
    disabledAt: timestamp,
    previousSecretValidUntil: { ...timestamp, description: "Until when the secret before the last rotation still signs" },
    failingSince: timestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
    secret: { type: "string", pattern: "^whsec_", description: "Only in the answers of create and rotate-secret: shown once" },
    backlog: { type: "integer", minimum: 0, description: "Deliveries waiting (list only)" },
    dead: { type: "integer", minimum: 0, description: "Deliveries given up on (list only)" },
  }, "A webhook endpoint (docs/webhooks.md)"),
  WebhookEndpointPage: pageOf("WebhookEndpoint"),
  WebhookDelivery: closed(["id", "endpointId", "event", "messageId", "status", "attempts", "lastStatusCode", "lastError", "lastResponseBody", "lastAttemptAt", "nextAttemptAt", "retries", "createdAt", "finishedAt"], {
    id,
    endpointId: id,
    event: { type: "string" },
    messageId: { type: "string", description: "The webhook-id header: the same on every attempt" },
    status: { type: "string", enum: ["pending", "sending", "succeeded", "dead"] },
    attempts: { type: "integer", minimum: 0 },
    lastStatusCode: nullable({ type: "integer" }),
    lastError: nullable({ type: "string" }),
    lastResponseBody: nullable({ type: "string", maxLength: 1024 }),
    lastAttemptAt: nullable(timestamp),
    nextAttemptAt: nullable(timestamp),
    retries: { type: "integer", minimum: 0, description: "Times an admin sent it again" },
    createdAt: timestamp,
    finishedAt: nullable(timestamp),
  }, "One event sent to one endpoint"),
  WebhookDeliveryPage: pageOf("WebhookDelivery"),
  OpenApiDocument: { type: "object", required: ["openapi", "info", "paths"], properties: { openapi: { type: "string" }, info: { type: "object" }, paths: { type: "object" } }, description: "This document" },
} satisfies Record<string, JsonSchema>;

export type SchemaName = keyof typeof SCHEMAS;

/** A reference to one of the named shapes above. */
export const ref = (name: SchemaName): JsonSchema => to(name);
