/**
 * What a stock change cleans from the catalog's caches, instead of the whole
 * catalog: a checkout moves the stock of the products it buys, and cleaning
 * every cached page, product and category on every such move (twice per
 * order) left the gateway's cache nearly empty under load (bench/README.md).
 *
 * A stock change shows in the answers that carry the product (its page, a
 * list page it is on, a getMany naming it); which products a list holds
 * changes only when the stock crosses zero (the `inStock` filter), so only
 * then is every list page stale. Categories count products, not stock.
 * Sent as `cache.clean-stock.<service>` to the nodes that cache the service
 * (the products nodes' cachers, the gateway's caller cache); any other
 * write still sends `cache.clean.<service>`, which cleans everything.
 */

/** The event's payload: the products whose stock moved, and whether a list may have gained or lost one. */
export interface StockClean {
  ids: string[];
  membership: boolean;
}

export const stockCleanEvent = (service: string) => `cache.clean-stock.${service}`;

/** The clean for one product whose stock went from `before` to `after`. */
export function stockClean(id: string, before: number, after: number): StockClean {
  return { ids: [id], membership: before > 0 !== after > 0 };
}

/** Whether a cached answer shows one of `ids`: a product, an array of them, or a page of them (`rows`). */
export function mentions(answer: unknown, ids: ReadonlySet<string>): boolean {
  if (Array.isArray(answer)) return answer.some((item) => mentions(item, ids));
  if (answer === null || typeof answer !== "object") return false;
  const { id, rows } = answer as { id?: unknown; rows?: unknown };
  if (typeof id === "string" && ids.has(id)) return true;
  return Array.isArray(rows) && mentions(rows, ids);
}

/** The cacher patterns (Moleculer's `clean`) of `service`'s entries a stock change may have made stale. */
export function stockCleanPatterns(service: string, clean: StockClean): string[] {
  // getMany keys are long lists of ids, hashed past the cacher's maxParamsLength: they cannot be matched by id.
  // The cacher writes a string key quoted (`products.get:"<id>"`): matched around it, an id being unique.
  const patterns = [...clean.ids.map((id) => `${service}.get:*${id}*`), `${service}.getMany:**`];
  // A list page keyed by its filters cannot be matched by the products it holds: every one goes.
  patterns.push(`${service}.list:**`);
  return patterns;
}
