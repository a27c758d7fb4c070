/**
 * The search index of one products node on a generated catalog: build time,
 * heap it holds, time of a query of the S2q mix (docs/search.md).
 *
 *   npx tsx --expose-gc bench/search-index.ts [count=100000]
 */
import { CatalogSearch } from "../services/products/catalog-search";
import { syntheticProduct } from "../services/products/catalog-generator";
import { SEARCH_MIX } from "./lib/search-queries";

const gc = (globalThis as { gc?: () => void }).gc;
const count = Number(process.argv[2] ?? 100_000);
const now = new Date();
const products = Array.from({ length: count }, (_, i) => ({ ...syntheticProduct(i, now), id: `p${i}` }));

gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const started = process.hrtime.bigint();
const search = new CatalogSearch();
for (const product of products) search.put(product);
const buildMs = Number(process.hrtime.bigint() - started) / 1e6;
gc?.();
const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1048576;

const rounds = 5;
const timings: number[] = [];
for (const query of SEARCH_MIX) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) search.search(query, {}, "relevance", false);
  timings.push(Number(process.hrtime.bigint() - t) / 1e6 / rounds);
}
timings.sort((a, b) => a - b);
const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))].toFixed(1);
console.log(`${count} products: index built in ${buildMs.toFixed(0)} ms, heap +${heapMiB.toFixed(0)} MiB${gc ? "" : " (run with --expose-gc for a steady figure)"}`);
console.log(`query of the S2q mix (${SEARCH_MIX.length} queries): median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
