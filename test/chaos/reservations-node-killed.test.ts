/**
 * The catalog node is killed (SIGKILL, a separate process of the built
 * project, `npm run build` first) between reserve and commit, and in the
 * middle of reservations of several lines; a node started afterwards on the
 * same MongoDB (the CongoDB emulator unless MONGO_URI is set) finishes the
 * story as the checkout saga and the reservation sweeper would: orders whose
 * reservation answered are committed or released, orders whose reserve()
 * met the kill are reserved again (the saga's retry) and committed, or left
 * to the sweeper. Afterwards stock, reservations and orders agree line by
 * line: every product's stock fell by exactly the units of the committed
 * orders, nothing is still reserved or held, no reservation is open
 * (services/products/reservations.ts: a line is taken and given back by one
 * conditional update of the product that records or removes the order's hold).
 */
import { assertFreshBuild } from "../support/fresh-build";
import { startCluster, type Cluster, type ClusterNode } from "../support/cluster";
import { MONGO_UNDER_TEST, startMongo, type TestMongo } from "../support/mongo";
import { startNatsServer, type NatsServer } from "../support/nats-server";
import { waitUntil } from "../support/wait-until";
import { mongoDatabaseName, newId } from "../../platform/db/db-adapter";
import type { StockLine } from "../../contracts/stock-lines";
import { productBody } from "../products/catalog-platform";
import { MongoClient, ObjectId } from "./support/storm-data";

const PRODUCTS = 6;
const STOCK = 1_000;
/** Reserved before the kill and answered: the kill lands between their reserve and their commit. */
const ANSWERED = 10;
/** Reserving while the kill lands: many are caught between two lines. */
const IN_FLIGHT = 40;
const LINES = 4;

interface Order {
  orderId: string;
  items: StockLine[];
}

describe("the catalog node killed between reserve and commit, and in the middle of reservations", () => {
  let mongo: TestMongo;
  let nats: NatsServer;
  let cluster: Cluster;
  let db: MongoClient;
  let products: string[];

  const collection = (name: string) => db.db(mongoDatabaseName(mongo.uri, "products")).collection(name);
  const call = <T>(action: string, params: unknown) => cluster.broker.call<T, unknown>(action, params);

  beforeAll(async () => {
    assertFreshBuild();
    mongo = await startMongo();
    nats = await startNatsServer();
    cluster = await startCluster({
      transporter: nats.url,
      // The sweep runs when the test calls it; a reservation expires 1 s after it was made.
      env: { MONGO_URI: mongo.uri, SEED: "false", RESERVATION_TTL: "1", RESERVATION_SWEEP_INTERVAL: "0", LOG_LEVEL: "warn", REQUEST_TIMEOUT: "5000" },
      nodes: [{ services: ["products"], name: "catalog-victim" }],
      brokerOptions: { retryPolicy: { enabled: false } },
    });
    db = await MongoClient.connect(mongo.uri, { useUnifiedTopology: true });
    products = [];
    for (let i = 0; i < PRODUCTS; i++) products.push((await call<{ id: string }>("products.create", productBody({ stock: STOCK }))).id);
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
    await nats?.stop();
    await mongo?.stop();
  });

  /** LINES distinct products per order, 1–3 units each, varied across orders. */
  const order = (n: number): Order => ({
    orderId: newId(),
    items: Array.from({ length: LINES }, (_, line) => ({ productId: products[(n + line) % PRODUCTS], quantity: 1 + ((n + line) % 3) })),
  });

  it(`leaves stock, reservations and orders in agreement after the restart and the sweep (${MONGO_UNDER_TEST})`, async () => {
    const victim = cluster.nodes[0] as ClusterNode;
    const answered = Array.from({ length: ANSWERED }, (_, n) => order(n));
    for (const o of answered) await expect(call("products.reserve", o)).resolves.toMatchObject({ status: "reserved" });

    const inFlight = Array.from({ length: IN_FLIGHT }, (_, n) => order(ANSWERED + n));
    let done = 0;
    const reserving = inFlight.map((o) =>
      call("products.reserve", o).finally(() => {
        done++;
      }),
    );
    // Killed once the first few answered: the others are not started, halfway, or answered unseen.
    await waitUntil(async () => done >= 3, { description: "the first reservations under way", timeoutMs: 30_000, intervalMs: 5 });
    await victim.kill();
    const outcomes = await Promise.allSettled(reserving);
    expect(outcomes.some((o) => o.status === "rejected")).toBe(true);

    await cluster.addNode({ services: ["products"], name: "catalog-successor" });
    // The kill caught reservations between two lines: some of their lines are held, some not taken.
    const heldLines = new Map<string, number>();
    for (const id of products) {
      const doc = await collection("products").findOne({ _id: new ObjectId(id) });
      for (const key of Object.keys(doc?.holds ?? {})) heldLines.set(key, (heldLines.get(key) ?? 0) + 1);
    }
    expect(inFlight.some((o) => (heldLines.get(o.orderId) ?? 0) > 0 && (heldLines.get(o.orderId) ?? 0) < LINES)).toBe(true);

    // The saga: an answered reservation is committed (paid) or released (compensated).
    const committed: Order[] = [];
    for (const [n, o] of answered.entries()) {
      if (n % 2 === 0) {
        await expect(call("products.commit", { orderId: o.orderId })).resolves.toMatchObject({ status: "committed" });
        committed.push(o);
      } else {
        await expect(call("products.release", { orderId: o.orderId })).resolves.toMatchObject({ status: "released" });
      }
    }
    // Half the orders that met the kill are retried and paid; the other half were abandoned: the sweeper's.
    for (const [n, o] of inFlight.entries()) {
      if (n % 2 === 1) continue;
      await expect(call("products.reserve", o)).resolves.toMatchObject({ status: "reserved" });
      await expect(call("products.commit", { orderId: o.orderId })).resolves.toMatchObject({ status: "committed" });
      committed.push(o);
    }
    await waitUntil(
      async () => {
        await call("products.sweepReservations", {});
        return (await collection("reservations").find({ status: "reserved" }).toArray()).length === 0;
      },
      { description: "every open reservation swept", timeoutMs: 15_000, intervalMs: 200 },
    );

    const sold = new Map<string, number>();
    for (const o of committed) for (const line of o.items) sold.set(line.productId, (sold.get(line.productId) ?? 0) + line.quantity);
    for (const id of products) {
      const doc = await collection("products").findOne({ _id: new ObjectId(id) });
      expect({ id, stock: doc?.stock, reserved: doc?.reserved, holds: Object.keys(doc?.holds ?? {}) }).toEqual({ id, stock: STOCK - (sold.get(id) ?? 0), reserved: 0, holds: [] });
    }
    const reservations = await collection("reservations").find({}).toArray();
    const committedIds = new Set(committed.map((o) => o.orderId));
    expect(reservations.filter((r) => r.status === "committed").map((r) => String(r.orderId)).sort()).toEqual([...committedIds].sort());
    expect(reservations.filter((r) => r.status !== "committed" && r.status !== "released")).toEqual([]);
  }, 120_000);
});
