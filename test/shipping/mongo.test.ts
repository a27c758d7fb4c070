/**
 * The shipping service on the MongoDB path (MONGO_URI), as it runs in a
 * cluster: a real Mongo when MONGO_URI is set for the run, else the CongoDB
 * emulator. The emulator enforces no unique index, so one shipment per order
 * under concurrent creates is checked on NeDB (shipping.test.ts).
 */
import { loadWithEnv } from "../support/load-with-env";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { startMongo, type TestMongo } from "../support/mongo";
import { ADDRESS, orderId, refusal } from "./shipping-platform";

interface Shipment {
  orderId: string;
  status: string;
  trackingNumber: string;
  history: { status: string }[];
}

describe("shipping on MongoDB", () => {
  let mongo: TestMongo;
  let broker: ServiceBroker;

  beforeAll(async () => {
    mongo = await startMongo();
    const ShippingService = loadWithEnv({ MONGO_URI: mongo.uri }, () => require("../../services/shipping/shipping.service").default as ServiceSchema);

    broker = new ServiceBroker({ logger: false });
    broker.createService({ name: "shipping", mixins: [ShippingService], settings: { carrierTimerMs: 60_000 } } as ServiceSchema);
    await broker.start();
  });

  afterAll(async () => {
    await broker?.stop();
    await mongo?.stop();
  });

  const call = (action: string, params: Record<string, unknown>) => broker.call<Shipment, Record<string, unknown>>(`shipping.${action}`, params);

  it("creates one shipment per order and moves it to delivered", async () => {
    const id = orderId();
    const created = await call("create", { orderId: id, userId: "u", address: ADDRESS, method: "standard" });
    expect(await call("create", { orderId: id, userId: "u", address: ADDRESS, method: "standard" })).toEqual(created);
    for (const status of ["in_transit", "out_for_delivery", "delivered"]) expect((await call("advance", { orderId: id })).status).toBe(status);
    expect((await call("get", { orderId: id })).history).toHaveLength(4);
  });

  it("cancels before shipping only", async () => {
    const early = orderId();
    await call("create", { orderId: early, userId: "u", address: ADDRESS, method: "express" });
    expect((await call("cancel", { orderId: early })).status).toBe("cancelled");
    const late = orderId();
    await call("create", { orderId: late, userId: "u", address: ADDRESS, method: "express" });
    await call("advance", { orderId: late });
    expect(await refusal(call("cancel", { orderId: late }))).toMatchObject({ code: 409, type: "ALREADY_SHIPPED" });
  });

  it("lets the simulated carrier find what is due", async () => {
    const id = orderId();
    await call("create", { orderId: id, userId: "u", address: ADDRESS, method: "standard" });
    const service = broker.getLocalService("shipping") as unknown as { carrierTick(nowMs?: number): Promise<number> };
    expect(await service.carrierTick(Date.now() + 61_000)).toBeGreaterThanOrEqual(1);
    expect((await call("get", { orderId: id })).status).toBe("in_transit");
  });
});
