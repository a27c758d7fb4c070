/**
 * Loads a large synthetic catalog into the `products` collection, for the
 * benchmarks (default: 100,000 products).
 *
 *   MONGO_URI=mongodb://127.0.0.1:27017/shop npx tsx scripts/generate-catalog.ts --count 100000
 *   npx tsx scripts/generate-catalog.ts --count 20000 --start 100000   # 20k more after those
 *
 * It writes through the adapter the products service uses (platform/db/db-adapter.ts),
 * so it lands in the same database: MongoDB when MONGO_URI is set (the
 * `<db>_products` database), else the NeDB file DATA_DIR/products.db. A NeDB
 * file belongs to one process: stop the products service while this runs.
 *
 * Product number i is always the same (sku GEN-000000i, services/products/catalog-generator.ts),
 * so a benchmark can name products without reading them, and a second run
 * skips what is already there (the sku index is unique). Running products
 * nodes cache catalog reads for up to 60 s: restart them or wait.
 */
import { parseArgs } from "node:util";
import { config } from "../platform/config";
import { createAdapter, isDuplicateKeyError, newId } from "../platform/db/db-adapter";
import { syntheticProduct } from "../services/products/catalog-generator";
import { PRODUCT_INDEXES } from "../services/products/product-model";

/** A fixed creation time: the same product every run. */
const CATALOG_EPOCH = new Date("2025-01-01T00:00:00Z");

function wholeNumber(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: "string", default: "100000" },
      start: { type: "string", default: "0" },
      concurrency: { type: "string", default: "200" },
    },
  });
  const count = wholeNumber("count", values.count, 1);
  const start = wholeNumber("start", values.start, 0);
  const concurrency = wholeNumber("concurrency", values.concurrency, 1);
  if (!config.mongoUri && config.nodeEnv === "test") {
    throw new Error("NODE_ENV=test keeps NeDB in memory: the catalog would vanish at exit. Unset it or set MONGO_URI.");
  }

  const adapter = createAdapter({ collection: "products", database: "products" });
  // The Mongo adapter reads the collection name and a logger from its service.
  adapter.init(null, { schema: { collection: "products" }, logger: { info() {}, warn: console.warn, error: console.error } });
  await adapter.connect();
  try {
    await adapter.ensureIndexes(PRODUCT_INDEXES);
    let inserted = 0;
    let skipped = 0;
    for (let from = start; from < start + count; from += concurrency) {
      const to = Math.min(from + concurrency, start + count);
      const batch = Array.from({ length: to - from }, (_, k) =>
        adapter.insert({ _id: newId(), ...syntheticProduct(from + k, CATALOG_EPOCH) }).then(
          () => void inserted++,
          (err: unknown) => {
            if (!isDuplicateKeyError(err)) throw err;
            skipped++;
          },
        ),
      );
      await Promise.all(batch);
      if ((to - start) % 10_000 < concurrency || to === start + count) {
        process.stdout.write(`${to - start}/${count} (inserted ${inserted}, already there ${skipped})\n`);
      }
    }
    process.stdout.write(`Done: ${inserted} products inserted, ${skipped} already there, into ${config.mongoUri ? "MongoDB" : config.dataDir}.\n`);
  } finally {
    await adapter.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
