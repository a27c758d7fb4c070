/**
 * services/shipping/shipment-state.ts: a shipment moves one way, and is cancelled only
 * before the carrier has it.
 */
import { assertCancellable, canCancel, nextStatus, SHIPMENT_STATUSES } from "../../services/shipping/shipment-state";

describe("a shipment's steps", () => {
  it("go label_created -> in_transit -> out_for_delivery -> delivered", () => {
    expect(nextStatus("label_created")).toBe("in_transit");
    expect(nextStatus("in_transit")).toBe("out_for_delivery");
    expect(nextStatus("out_for_delivery")).toBe("delivered");
  });

  it("end at delivered and at cancelled (409)", () => {
    expect(() => nextStatus("delivered")).toThrow(expect.objectContaining({ code: 409, type: "INVALID_TRANSITION" }));
    expect(() => nextStatus("cancelled")).toThrow(expect.objectContaining({ code: 409, type: "INVALID_TRANSITION" }));
  });

  it("can be cancelled only from label_created; a cancelled one stays cancelled", () => {
    expect(SHIPMENT_STATUSES.filter(canCancel)).toEqual(["label_created"]);
    expect(() => assertCancellable("cancelled")).not.toThrow();
    for (const shipped of ["in_transit", "out_for_delivery", "delivered"] as const) {
      expect(() => assertCancellable(shipped)).toThrow(expect.objectContaining({ code: 409, type: "ALREADY_SHIPPED" }));
    }
  });
});
