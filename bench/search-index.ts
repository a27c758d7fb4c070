/**
 * The search index of one products node on a generated catalog: build time,
 * heap it holds, and queries per second of the S2q mix on the module alone
 * (docs/search.md): cold (the answer cache off: every query scores its
 * matches, as the first query after a change does) and warm (the cache on,
 * as when the catalog does not change between queries).
 *
 *   npx tsx --expose-gc bench/search-index.ts [count=100000] [seconds per measure=5]
 */
import { CatalogSearch } from "../services/products/catalog-search";
import { syntheticProduct } from "../services/products/catalog-generator";
import { SEARCH_MIX } from "./lib/search-queries";

const gc = (globalThis as { gc?: () => void }).gc;
const count = Number(process.argv[2] ?? 100_000);
const seconds = Number(process.argv[3] ?? 5);
const now = new Date();
const products = Array.from({ length: count }, (_, i) => ({ ...syntheticProduct(i, now), id: `p${i}` }));

function build(cachedAnswers?: number): { search: CatalogSearch; ms: number } {
  const started = process.hrtime.bigint();
  const search = new CatalogSearch({ cachedAnswers });
  for (const product of products) search.put(product);
  return { search, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** Queries of the mix, round after round, for `seconds`: queries per second and the slowest query's ms. */
function measure(search: CatalogSearch, withFacets: boolean): { perSecond: number; maxMs: number } {
  const until = process.hrtime.bigint() + BigInt(seconds * 1e9);
  let done = 0;
  let maxMs = 0;
  const started = process.hrtime.bigint();
  while (process.hrtime.bigint() < until) {
    for (const query of SEARCH_MIX) {
      const t = process.hrtime.bigint();
      search.search(query, {}, "relevance", withFacets);
      maxMs = Math.max(maxMs, Number(process.hrtime.bigint() - t) / 1e6);
      done += 1;
    }
  }
  return { perSecond: done / (Number(process.hrtime.bigint() - started) / 1e9), maxMs };
}

gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const cold = build(0);
gc?.();
const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
const report = (label: string, { perSecond, maxMs }: { perSecond: number; maxMs: number }) =>
  console.log(`${label}: ${perSecond.toFixed(1)} queries/s, slowest ${maxMs.toFixed(1)} ms`);

console.log(`${count} products: index built in ${cold.ms.toFixed(0)} ms, heap +${heapMiB.toFixed(0)} MiB${gc ? "" : " (run with --expose-gc for a steady figure)"}`);
console.log(`S2q mix (${SEARCH_MIX.length} queries), ${seconds} s per line:`);
report("cold, no facets", measure(cold.search, false));
report("cold, facets", measure(cold.search, true));
const warm = build();
// One round first, untimed: each query's first answer is a cold one.
for (const query of SEARCH_MIX) warm.search.search(query, {}, "relevance", false);
report("warm (answer cache), no facets", measure(warm.search, false));
