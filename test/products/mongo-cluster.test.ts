/**
 * Two `products` nodes (processes of the built project, `npm run build`
 * first) on a private NATS, sharing one MongoDB: neither oversells, commit
 * and release move stock once whichever node gets them, both sweep at once
 * safely, and a change on one node is seen through the other's cache.
 *
 * It runs on a real MongoDB when MONGO_URI is set, else on the CongoDB
 * emulator (test/README.md): both keep the platform's ids as ObjectIds.
 */
import type { Cluster } from "../support/cluster";
import { MONGO_UNDER_TEST, type TestMongo } from "../support/mongo";
import { mongoDatabaseName, newId } from "../../platform/db/db-adapter";
import type { Reservation } from "../../services/products/reservations";
import { productBody } from "./catalog-platform";
import { startProductsPair, type ProductsPair } from "./products-pair";

// The 3.x driver (moleculer-db-adapter-mongo's) has no types: the little used here.
interface Collection {
  findOne(query: object): Promise<Record<string, any> | null>;
}
interface MongoClient {
  db(name: string): { collection(name: string): Collection };
  close(): Promise<void>;
}
const { MongoClient, ObjectId } = require("mongodb") as {
  MongoClient: { connect(uri: string, opts: object): Promise<MongoClient> };
  ObjectId: new (hex: string) => object;
};

describe("two products nodes sharing one MongoDB", () => {
  let pair: ProductsPair;
  let mongo: TestMongo;
  let cluster: Cluster;
  let db: MongoClient;
  let nodes: string[];

  const call = <T>(node: number, action: string, params: unknown) => cluster.broker.call<T, unknown>(action, params, { nodeID: nodes[node % 2] });
  async function levels(id: string): Promise<{ stock: number; reserved: number }> {
    const doc = await db.db(mongoDatabaseName(mongo.uri, "products")).collection("products").findOne({ _id: new ObjectId(id) });
    return { stock: doc?.stock, reserved: doc?.reserved };
  }
  const create = (stock: number) => call<{ id: string }>(0, "products.create", productBody({ stock }));

  beforeAll(async () => {
    pair = await startProductsPair({ RESERVATION_TTL: "1", LOG_LEVEL: "warn" });
    ({ mongo, cluster, nodes } = pair);
    db = await MongoClient.connect(mongo.uri, { useUnifiedTopology: true });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await pair?.stop();
  });

  it(`never oversells: 200 concurrent reservations of 1 unit on a stock of 50, spread over both nodes, give exactly 50 (${MONGO_UNDER_TEST})`, async () => {
    const product = await create(50);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => call(i, "products.reserve", { orderId: newId(), items: [{ productId: product.id, quantity: 1 }] })),
    );
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(50);
    expect(new Set(refused.map((r) => (r.reason as { type: string }).type))).toEqual(new Set(["OUT_OF_STOCK"]));
    expect(await levels(product.id)).toEqual({ stock: 0, reserved: 50 });
  });

  it("commits and releases once, whichever node gets the call and however often", async () => {
    const product = await create(10);
    const [committing, releasing] = [newId(), newId()];
    await call(0, "products.reserve", { orderId: committing, items: [{ productId: product.id, quantity: 3 }] });
    await call(1, "products.reserve", { orderId: releasing, items: [{ productId: product.id, quantity: 2 }] });
    await Promise.all([0, 1, 0, 1].map((n) => call(n, "products.commit", { orderId: committing })));
    await Promise.all([0, 1, 0, 1].map((n) => call(n, "products.release", { orderId: releasing })));
    await call(1, "products.release", { orderId: committing });
    expect(await levels(product.id)).toEqual({ stock: 7, reserved: 0 });
  });

  it(`releases an expired reservation once while both nodes sweep at the same time (${MONGO_UNDER_TEST})`, async () => {
    const product = await create(10);
    const reservation = await call<Reservation>(0, "products.reserve", { orderId: newId(), items: [{ productId: product.id, quantity: 4 }] });
    // RESERVATION_TTL is 1 s on these nodes.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(reservation.expiresAt) - Date.now()) + 50));
    const [a, b] = await Promise.all([call<{ released: number }>(0, "products.sweepReservations", {}), call<{ released: number }>(1, "products.sweepReservations", {})]);
    // Earlier tests' reservations expire too: both sweeps together release each once.
    expect(a.released + b.released).toBeGreaterThanOrEqual(1);
    expect(await levels(product.id)).toEqual({ stock: 10, reserved: 0 });
    const again = await Promise.all([call<{ released: number }>(0, "products.sweepReservations", {}), call<{ released: number }>(1, "products.sweepReservations", {})]);
    expect(again[0].released + again[1].released).toBe(0);
    expect(await levels(product.id)).toEqual({ stock: 10, reserved: 0 });
  });

  it("shows a change made on one node through the other node's cache", async () => {
    const product = await create(5);
    await call(0, "products.get", { id: product.id });
    await call(1, "products.update", { id: product.id, price: 4321 });
    await expect(call(0, "products.get", { id: product.id })).resolves.toMatchObject({ price: 4321 });
  });
});
