/**
 * The in-process cacher (no REDIS_URL) is bounded: an anonymous loop over
 * distinct catalog queries (each a new cache key) keeps the node's heap
 * where it was, rather than growing it by every answer for the cache's TTL.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../../moleculer.config";
import { loadConfig } from "../../platform/config";

const QUERIES = 50_000;
const MAX_ENTRIES = 1000;
/** About what one catalog page weighs: twenty products with names and descriptions. */
const PAGE = Array.from({ length: 20 }, (_, i) => ({ id: `p-${i}`, name: `Product ${i}`, description: "x".repeat(100), price: 1999 }));

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;
const heapUsed = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

describe("the in-process cacher", () => {
  it(`keeps at most CACHE_MAX_ENTRIES answers: ${QUERIES} distinct queries leave the heap bounded`, async () => {
    const cfg = loadConfig({ NODE_ENV: "test", METRICS_PORT: "0", CACHE_MAX_ENTRIES: String(MAX_ENTRIES) });
    const broker = new ServiceBroker({ ...brokerOptions({ ...cfg, transporter: undefined }), nodeID: `cache-${process.pid}`, logger: false, metrics: false, tracing: false });
    broker.createService({
      name: "catalog",
      actions: {
        list: { cache: { keys: ["maxPrice"] }, params: { maxPrice: "number" }, handler: (ctx) => ({ maxPrice: ctx.params.maxPrice, rows: PAGE.map((p) => ({ ...p })) }) },
      },
    });
    await broker.start();
    try {
      const before = heapUsed();
      for (let i = 0; i < QUERIES; i++) await broker.call("catalog.list", { maxPrice: i });
      const grown = heapUsed() - before;

      const cacher = broker.cacher as unknown as { cache: { size: number } };
      expect(cacher.cache.size).toBeLessThanOrEqual(MAX_ENTRIES);
      // Unbounded, 50,000 pages of ~3 KB would be well over 100 MB.
      expect(grown).toBeLessThan(30 * 1024 * 1024);
    } finally {
      await broker.stop();
    }
  });
});
