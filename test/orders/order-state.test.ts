/**
 * The order state machine (services/orders/order-state.ts): which status may follow
 * which, and the one conditional update each change is written as.
 */
import { canTransition, hasShipped, isFinal, ORDER_STATUSES, transitionUpdate, type OrderStatus } from "../../services/orders/order-state";

const ALLOWED: [OrderStatus, OrderStatus][] = [
  ["pending", "paid"],
  ["pending", "cancelled"],
  ["pending", "failed"],
  ["paid", "shipped"],
  ["paid", "cancelled"],
  ["shipped", "delivered"],
];

describe("the order state machine", () => {
  it("allows exactly pending -> paid -> shipped -> delivered, pending|paid -> cancelled, pending -> failed", () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const allowed = ALLOWED.some(([f, t]) => f === from && t === to);
        expect([from, to, canTransition(from, to)]).toEqual([from, to, allowed]);
      }
    }
  });

  it("has delivered, cancelled and failed as final statuses", () => {
    expect(ORDER_STATUSES.filter(isFinal)).toEqual(["delivered", "cancelled", "failed"]);
  });

  it("counts shipped and delivered as gone", () => {
    expect(ORDER_STATUSES.filter(hasShipped)).toEqual(["shipped", "delivered"]);
  });

  it("writes a change as an update conditional on the status it leaves, with its history entry", () => {
    const at = "2030-01-02T03:04:05.000Z";
    expect(transitionUpdate("paid", "shipped", { at, reason: "shipped by an admin", set: { shipment: { carrier: "ShopPost", trackingNumber: "SP1" } } })).toEqual({
      filter: { status: "paid" },
      update: {
        $set: { shipment: { carrier: "ShopPost", trackingNumber: "SP1" }, status: "shipped", updatedAt: at },
        $push: { history: { status: "shipped", at, reason: "shipped by an admin" } },
      },
    });
  });

  it("never lets `set` override the status or the time of the change", () => {
    const { update } = transitionUpdate("pending", "failed", { at: "2030-01-01T00:00:00.000Z", reason: "x", set: { status: "paid", updatedAt: "never" } });
    expect(update.$set).toMatchObject({ status: "failed", updatedAt: "2030-01-01T00:00:00.000Z" });
  });

  it("refuses a change the table does not allow with a 409 a client can read", () => {
    expect(() => transitionUpdate("shipped", "cancelled", { at: "", reason: "" })).toThrow(expect.objectContaining({ code: 409, type: "ALREADY_SHIPPED" }));
    expect(() => transitionUpdate("delivered", "cancelled", { at: "", reason: "" })).toThrow(expect.objectContaining({ code: 409, type: "ALREADY_SHIPPED" }));
    expect(() => transitionUpdate("failed", "paid", { at: "", reason: "" })).toThrow(expect.objectContaining({ code: 409, type: "INVALID_TRANSITION", data: { status: "failed", to: "paid" } }));
    expect(() => transitionUpdate("cancelled", "cancelled", { at: "", reason: "" })).toThrow(expect.objectContaining({ code: 409 }));
  });
});
