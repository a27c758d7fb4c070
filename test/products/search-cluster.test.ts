/**
 * Every products node keeps its own search index (docs/search.md): two nodes
 * of the built project (`npm run build` first) on a private NATS, sharing one
 * MongoDB (the CongoDB emulator unless MONGO_URI is set). A product created,
 * renamed or archived through one node is found, re-ranked or gone in the
 * other node's search, through the `product.changed` events alone (both
 * nodes' catch-up pass has run before the first change), and a third node
 * started after those changes answers them right from the moment it is ready.
 */
import type { Cluster } from "../support/cluster";
import { waitUntil } from "../support/wait-until";
import { productBody } from "./catalog-platform";
import { startProductsPair, type ProductsPair } from "./products-pair";

interface Page {
  rows: { id: string; sku: string }[];
  total: number;
}

describe("the search index on every products node", () => {
  let pair: ProductsPair;
  let cluster: Cluster;
  let writer: string;
  let reader: string;

  const call = <T>(nodeID: string, action: string, params: Record<string, unknown>) => cluster.broker.call<T, Record<string, unknown>>(action, params, { nodeID });
  const skusFound = async (nodeID: string, q: string) => (await call<Page>(nodeID, "products.list", { q })).rows.map((row) => row.sku);
  async function seenBy(nodeID: string, q: string, skus: string[], what: string): Promise<void> {
    let last: string[] = [];
    await waitUntil(
      async () => {
        last = await skusFound(nodeID, q);
        return JSON.stringify(last) === JSON.stringify(skus);
      },
      { description: `${what}: '${q}' on ${nodeID} answering ${skus.join(", ")} (last answer: ${last.join(", ") || "nothing"})`, timeoutMs: 15_000 },
    );
  }

  beforeAll(async () => {
    pair = await startProductsPair({ LOG_LEVEL: "info" });
    cluster = pair.cluster;
    [writer, reader] = pair.nodes;
    // After its one catch-up pass, a node's index learns of a change from the event or not at all.
    await waitUntil(() => cluster.nodes.every((node) => node.logs().includes("Search index caught up")), {
      description: "the catch-up pass of both nodes",
      timeoutMs: 30_000,
    });
  }, 120_000);

  afterAll(async () => {
    await pair?.stop();
  });

  it("finds, re-ranks and forgets on one node what changed through the other, and a new node knows it all when ready", async () => {
    const lantern = await call<{ id: string }>(writer, "products.create", productBody({ sku: "SC-LANTERN", name: "Zephyr Lantern", description: "Lights a room like a zephyr." }));
    const box = await call<{ id: string }>(writer, "products.create", productBody({ sku: "SC-BOX", name: "Plain Box", description: "Holds one zephyr kite." }));
    // A name match ranks above a description match.
    await seenBy(reader, "zephyr", ["SC-LANTERN", "SC-BOX"], "created");

    await call(writer, "products.update", { id: box.id, name: "Zephyr Box" });
    await call(writer, "products.update", { id: lantern.id, name: "Brass Lantern" });
    await seenBy(reader, "zephyr", ["SC-BOX", "SC-LANTERN"], "renamed");
    await seenBy(reader, "brass", ["SC-LANTERN"], "renamed");

    await call(writer, "products.remove", { id: lantern.id });
    await seenBy(reader, "zephyr", ["SC-BOX"], "archived");
    await seenBy(writer, "zephyr", ["SC-BOX"], "archived, on the node that made the change");

    const late = await cluster.addNode({ services: ["products"], name: "products-c" });
    // Asked as soon as it is ready: no waiting for events it never heard.
    expect(await skusFound(late.nodeID, "zephyr")).toEqual(["SC-BOX"]);
    expect(await skusFound(late.nodeID, "lantern")).toEqual([]);
    expect(await call<Page>(late.nodeID, "products.list", { q: "box" })).toMatchObject({ total: 1, rows: [{ sku: "SC-BOX" }] });
  });
});
