/**
 * What the embedded store's documents take in memory, live rather than as
 * resident memory (which includes whatever heap V8 keeps in reserve): loads
 * each NeDB datafile of a run (`bench/per-order.ts` with BENCH_KEEP_DATA=1)
 * into a Datastore, as a node does when it starts, and reports the heap each
 * collection holds after full collections, per 1,000 orders (the count of
 * the checkout node's orders collection). Secondary indexes are not built
 * here: each adds a tree node per document on the nodes.
 *
 *   NODE_OPTIONS=--expose-gc tsx bench/store-memory.ts DIR
 */
import fs from "node:fs";
import path from "node:path";

interface Datastore {
  loadDatabaseAsync(): Promise<void>;
  countAsync(query: object): Promise<number>;
}
const NeDB = require("@seald-io/nedb") as new (opts: { filename: string }) => Datastore;

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const root = process.argv[2];
  if (!root || !gc) throw new Error("usage: NODE_OPTIONS=--expose-gc tsx bench/store-memory.ts DIR (a directory BENCH_KEEP_DATA=1 left)");
  const held: Datastore[] = [];
  const rows: { node: string; collection: string; documents: number; bytes: number }[] = [];
  for (const node of fs.readdirSync(root).sort()) {
    const dir = path.join(root, node);
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".db")).sort()) {
      const before = heapUsed();
      const store = new NeDB({ filename: path.join(dir, file) });
      await store.loadDatabaseAsync();
      const bytes = heapUsed() - before;
      held.push(store);
      rows.push({ node, collection: file.replace(/\.db$/, ""), documents: await store.countAsync({}), bytes });
    }
  }
  const orders = rows.find((r) => r.node === "checkout" && r.collection === "orders")?.documents ?? 0;
  if (orders === 0) throw new Error(`no orders in ${root}/checkout/orders.db`);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  console.log(`${orders} orders\n\n| node | collection | documents | heap MB | MB per 1,000 orders |\n|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.node} | ${r.collection} | ${r.documents} | ${mb(r.bytes)} | ${mb((r.bytes * 1000) / orders)} |`);
  console.log("\n| node | heap MB | MB per 1,000 orders |\n|---|---|---|");
  for (const node of [...new Set(rows.map((r) => r.node))]) {
    const bytes = rows.filter((r) => r.node === node).reduce((sum, r) => sum + r.bytes, 0);
    console.log(`| ${node} | ${mb(bytes)} | ${mb((bytes * 1000) / orders)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
