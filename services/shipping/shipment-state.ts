/**
 * The life of a shipment, decided here alone:
 *
 *   label_created -> in_transit -> out_for_delivery -> delivered
 *   label_created -> cancelled          (only before the carrier has it)
 *
 * The service writes each step with a conditional update on the status it
 * read, so two nodes (or an admin and the carrier timer) never both move it.
 */
import { conflict } from "../../platform/errors";

export const SHIPMENT_STATUSES = ["label_created", "in_transit", "out_for_delivery", "delivered", "cancelled"] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

const NEXT: Partial<Record<ShipmentStatus, ShipmentStatus>> = {
  label_created: "in_transit",
  in_transit: "out_for_delivery",
  out_for_delivery: "delivered",
};

/** Statuses the carrier still moves forward. */
export const MOVING_STATUSES: readonly ShipmentStatus[] = Object.keys(NEXT) as ShipmentStatus[];

/** The status after `status`; 409 when it has none (delivered, cancelled). */
export function nextStatus(status: ShipmentStatus): ShipmentStatus {
  const next = NEXT[status];
  if (!next) throw conflict(`A shipment that is ${status} cannot move on`, "INVALID_TRANSITION", { status });
  return next;
}

export function canCancel(status: ShipmentStatus): boolean {
  return status === "label_created";
}

/** 409 once the carrier has the parcel. */
export function assertCancellable(status: ShipmentStatus): void {
  if (status === "cancelled" || canCancel(status)) return;
  throw conflict("The shipment has already left: it can no longer be cancelled", "ALREADY_SHIPPED", { status });
}
