/**
 * What the customer reads: money from integer cents, the order's lines and
 * totals, the tracking number, refunds, the welcome; and payloads that could
 * never be rendered are poison.
 */
import { formatMoney, minorUnitsPer } from "../../services/notifications/notification-money";
import { parsePayload, recipientOf, type OrderPaid } from "../../services/notifications/notification-events";
import { escapeHtml, orderRef, render } from "../../services/notifications/notification-templates";
import { PoisonEventError } from "../../platform/events/dispatch";
import { orderEventPayload, type OrderDoc } from "../../services/orders/order-model";

const ORDER_ID = "65a1f0c2e4b0a1b2c3d4e5f6";

const paid: OrderPaid = {
  orderId: ORDER_ID,
  userId: "u1",
  email: "ada@example.com",
  name: "Ada",
  currency: "USD",
  items: [
    { productId: "p1", sku: "MUG-BLUE", name: "Blue mug", unitPrice: 1250, quantity: 2, lineTotal: 2500 },
    { productId: "p2", name: "Tea <Earl Grey>", unitPrice: 899, quantity: 1, lineTotal: 899 },
  ],
  subtotal: 3399,
  shippingCost: 0,
  total: 3399,
};

describe("money in notifications", () => {
  it("formats integer cents exactly, with symbol and grouping", () => {
    expect(formatMoney(0, "USD")).toBe("$0.00");
    expect(formatMoney(5, "USD")).toBe("$0.05");
    expect(formatMoney(1999, "USD")).toBe("$19.99");
    expect(formatMoney(123456789, "USD")).toBe("$1,234,567.89");
    expect(formatMoney(-250, "USD")).toBe("-$2.50");
    // Intl separates amount and symbol with a no-break space.
    expect(formatMoney(1050, "EUR", "de-DE")).toBe("10,50\u00a0€");
  });

  it("knows currencies without cents or with three decimals", () => {
    expect(minorUnitsPer("JPY")).toBe(1);
    expect(formatMoney(1500, "JPY")).toBe("¥1,500");
    expect(formatMoney(1234, "BHD")).toBe("BHD\u00a01.234");
  });

  it("keeps precision where dividing by 100 as a float would not", () => {
    // 2^53 - 1 cents: a float division rounds this up to the next major unit.
    expect(formatMoney(Number.MAX_SAFE_INTEGER, "USD")).toBe("$90,071,992,547,409.91");
  });

  it("refuses amounts that are not integer minor units", () => {
    expect(() => formatMoney(19.99, "USD")).toThrow(/integer/);
  });
});

describe("notification templates", () => {
  it("confirms an order with each line, the totals and free shipping", () => {
    const note = render("order.paid", paid, recipientOf("order.paid", paid));
    expect(note.kind).toBe("order_confirmation");
    expect(note.title).toBe(`Order ${orderRef(ORDER_ID)} confirmed`);
    expect(note.text).toContain("Hi Ada,");
    expect(note.text).toContain("2 × Blue mug (MUG-BLUE)  $12.50 each  $25.00");
    expect(note.text).toContain("1 × Tea <Earl Grey>  $8.99 each  $8.99");
    expect(note.text).toContain("Shipping  free");
    expect(note.text).toContain("Total  $33.99");
    expect(note.data).toEqual({ orderId: ORDER_ID, total: 3399, currency: "USD", itemCount: 3 });
  });

  it("escapes what comes from the event in the HTML part", () => {
    const note = render("order.paid", { ...paid, name: "<script>x</script>" }, { userId: "u1", name: "<script>x</script>" });
    expect(note.html).not.toContain("<script>");
    expect(note.html).toContain("Tea &lt;Earl Grey&gt;");
    expect(note.html).toContain(escapeHtml("Hi <script>x</script>,"));
  });

  it("tells the carrier and tracking number of a shipped order", () => {
    const shipped = { orderId: ORDER_ID, userId: "u1", carrier: "Parcelly", trackingNumber: "PX123456789012", estimatedDays: 3 };
    const note = render("order.shipped", shipped, recipientOf("order.shipped", shipped));
    expect(note.title).toBe(`Order ${orderRef(ORDER_ID)} has shipped`);
    expect(note.text).toContain("Tracking number: PX123456789012");
    expect(note.text).toContain("with Parcelly. It should arrive within 3 days.");
    expect(note.text).toContain("Hi there,");
    expect(note.data).toEqual({ orderId: ORDER_ID, carrier: "Parcelly", trackingNumber: "PX123456789012" });
  });

  it("tells a cancellation with its reason and refund, and a refund with the card", () => {
    const cancelled = render("order.cancelled", { orderId: ORDER_ID, userId: "u1", reason: "cancelled by the customer", refundAmount: 3399, currency: "USD" }, { userId: "u1" });
    expect(cancelled.text).toContain("has been cancelled: cancelled by the customer");
    expect(cancelled.text).toContain("$33.99 will be refunded to your card.");
    const refunded = render("payment.refunded", { orderId: ORDER_ID, userId: "u1", amount: 1500, currency: "USD", brand: "visa", last4: "4242" }, { userId: "u1", name: "Ada" });
    expect(refunded.title).toBe(`Refund of $15.00 for order ${orderRef(ORDER_ID)}`);
    expect(refunded.text).toContain("We have refunded $15.00 to your visa card ending in 4242");
    expect(refunded.text).toContain("Hi Ada,");
  });

  it("welcomes a new user by name", () => {
    const note = render("user.registered", { id: "u1", email: "ada@example.com", name: "Ada" }, { userId: "u1", name: "Ada" });
    expect(note).toMatchObject({ kind: "welcome", title: "Welcome to Moleculer Shop" });
    expect(note.text).toContain("Your account for ada@example.com is ready.");
  });
});

describe("event payloads", () => {
  it("accepts a payload with more fields than needed", () => {
    expect(parsePayload("order.paid", { ...paid, status: "paid", extra: { x: 1 } })).toMatchObject({ orderId: ORDER_ID });
  });

  it("calls poison what cannot be rendered: no lines, a float amount, no tracking number", () => {
    expect(() => parsePayload("order.paid", { ...paid, items: [] })).toThrow(PoisonEventError);
    expect(() => parsePayload("order.paid", { ...paid, total: 33.99 })).toThrow(PoisonEventError);
    expect(() => parsePayload("order.shipped", { orderId: ORDER_ID, userId: "u1", carrier: "Parcelly" })).toThrow(/trackingNumber/);
    expect(() => parsePayload("user.registered", null)).toThrow(PoisonEventError);
  });

  it("finds the recipient: the user of an order event, the new user of a registration", () => {
    expect(recipientOf("order.paid", paid)).toEqual({ userId: "u1", email: "ada@example.com", name: "Ada" });
    expect(recipientOf("user.registered", { id: "u9", email: "b@example.com", name: "Bo" })).toEqual({ userId: "u9", email: "b@example.com", name: "Bo" });
  });
});

describe("the orders service's own event payloads", () => {
  // An order as the orders service stores it; its events carry it through orderEventPayload.
  const doc = {
    id: ORDER_ID,
    userId: "u1",
    status: "paid",
    items: [{ productId: "p1", sku: "MUG-BLUE", name: "Blue mug", unitPrice: 1250, quantity: 2, lineTotal: 2500 }],
    subtotal: 2500,
    shippingCost: 499,
    total: 2999,
    currency: "USD",
    shippingAddress: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
    shippingMethod: "standard",
    payment: { status: "captured", transactionId: "t1", brand: "visa", last4: "4242" },
    history: [],
    createdAt: "2030-01-01T00:00:00.000Z",
    updatedAt: "2030-01-01T00:00:00.000Z",
    idempotencyKey: "k1",
  } as unknown as OrderDoc;

  it("confirms an order from the order nested in order.paid", () => {
    const payload = parsePayload("order.paid", orderEventPayload(doc));
    const note = render("order.paid", payload, recipientOf("order.paid", payload));
    expect(note.text).toContain("2 × Blue mug (MUG-BLUE)  $12.50 each  $25.00");
    expect(note.text).toContain("Total  $29.99");
  });

  it("reads the tracking number of order.shipped and the refund of order.cancelled", () => {
    const shipped = { ...doc, status: "shipped", shipment: { carrier: "Parcelly", trackingNumber: "PX000000000007" } } as OrderDoc;
    const onItsWay = parsePayload("order.shipped", orderEventPayload(shipped, "shipped by an admin"));
    expect(render("order.shipped", onItsWay, { userId: "u1" }).text).toContain("Tracking number: PX000000000007");
    const refunded = { ...doc, status: "cancelled", payment: { ...doc.payment, status: "refunded" } } as OrderDoc;
    const cancelled = parsePayload("order.cancelled", orderEventPayload(refunded, "cancelled by the customer"));
    const text = render("order.cancelled", cancelled, { userId: "u1" }).text;
    expect(text).toContain("has been cancelled: cancelled by the customer");
    expect(text).toContain("$29.99 will be refunded to your card.");
  });
});
