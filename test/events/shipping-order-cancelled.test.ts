/**
 * shipping consumes the durable `order.cancelled`: a shipment that has not
 * left is cancelled; one already on its way, or none at all, leaves nothing
 * to do and the event is acked (never a dead letter).
 */
import type { ServiceBroker } from "moleculer";
import { acquireBus, releaseBus } from "../../platform/events/bus-registry";
import type { EventBus, DeadLetter } from "../../platform/events/types";
import { newId } from "../../platform/db/db-adapter";
import { waitUntil } from "../support/wait-until";
import { ADDRESS, orderId, startShipping, type ShippingPlatform } from "../shipping/shipping-platform";

describe("shipping on a durable order.cancelled", () => {
  let platform: ShippingPlatform;
  let broker: ServiceBroker;
  let bus: EventBus;

  beforeAll(async () => {
    platform = await startShipping();
    broker = platform.broker;
    bus = acquireBus(broker);
  });

  afterAll(async () => {
    await releaseBus(broker);
    await platform?.stop();
  });

  const cancelled = (id: string) => bus.publish({ id: newId(), event: "order.cancelled", payload: { orderId: id, userId: "user-customer" }, occurredAt: new Date().toISOString() });
  const settled = () =>
    waitUntil(
      async () => {
        const stats = await bus.stats("shipping");
        return stats !== null && stats.pending === 0 && stats.unacked === 0;
      },
      { description: "shipping to settle the event", timeoutMs: 10_000, intervalMs: 20 },
    );
  const shipment = async () => {
    const id = orderId();
    await broker.call("shipping.create", { orderId: id, userId: "user-customer", address: ADDRESS, method: "standard" });
    return id;
  };

  it("cancels the shipment of an order whose parcel has not left", async () => {
    const id = await shipment();
    await cancelled(id);
    await waitUntil(async () => (await broker.call<{ status: string }, unknown>("shipping.get", { orderId: id })).status === "cancelled", {
      description: "the shipment cancelled",
      timeoutMs: 10_000,
    });
    expect(platform.updates.filter((u) => u.orderId === id).map((u) => u.status)).toEqual(["label_created", "cancelled"]);
  });

  it("acks, changing nothing, when the parcel has left, when there is no shipment, and when the event comes again", async () => {
    const shipped = await shipment();
    await broker.call("shipping.advance", { orderId: shipped });
    const again = await shipment();
    await cancelled(again);
    await cancelled(shipped);
    await cancelled(orderId());
    await cancelled(again);
    await settled();
    expect(await broker.call("shipping.get", { orderId: shipped })).toMatchObject({ status: "in_transit" });
    expect(await broker.call("shipping.get", { orderId: again })).toMatchObject({ status: "cancelled" });
    expect(await broker.call<DeadLetter[], unknown>("shipping.deadLetters", {})).toEqual([]);
  });
});
