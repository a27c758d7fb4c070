/**
 * Keeps one node's CatalogSearch equal to the store: built from the store
 * before the node is ready, then every `product.changed` (broadcast to every
 * products node) reads the product again. Reads are batched: a burst of
 * changes (a checkout storm moves stock on many products) costs one query.
 *
 * A node hears other nodes' events only once they know it, a moment after
 * it started; changes in that moment are caught by one more full pass
 * (catchUp) shortly after the start.
 *
 * `indexChanged` runs after each batch that changed the index: an answer
 * computed between the cache clean of a write and the index's update (a
 * search on this node while the changed product was being read) must not
 * stay in the node's cache.
 */
import type { DbAdapter } from "../../platform/db/db-adapter";
import { CatalogSearch, type SearchableProduct } from "./catalog-search";

/** Ids read from the store in one query. */
const BATCH = 500;

export class SearchSync {
  readonly search = new CatalogSearch();
  private readonly due = new Set<string>();
  private flushing?: Promise<void>;

  constructor(
    private readonly store: DbAdapter,
    private readonly warn: (message: string) => void,
    private readonly indexChanged: () => void = () => {},
  ) {}

  /** Every listed product into the index. Answers how many. */
  async build(): Promise<number> {
    const docs = (await this.store.find({ query: { archived: { $ne: true } } })) as Record<string, unknown>[];
    for (const doc of docs) this.search.put(searchable(doc));
    return this.search.size;
  }

  /** A full pass: products changed or archived while this node could not hear it. Answers how many products it read. */
  async catchUp(): Promise<number> {
    const docs = (await this.store.find({ query: {} })) as Record<string, unknown>[];
    let changed = false;
    for (const doc of docs) changed = this.search.put(searchable(doc)) || changed;
    if (changed) this.indexChanged();
    return docs.length;
  }

  /** `id` changed: it is read again, with whatever else changed meanwhile. */
  changed(id: string): Promise<void> {
    this.due.add(id);
    this.flushing ??= Promise.resolve().then(() => this.flush());
    return this.flushing;
  }

  /** Resolves once every change heard so far is in the index. */
  settled(): Promise<void> {
    return this.flushing ?? Promise.resolve();
  }

  private async flush(): Promise<void> {
    try {
      while (this.due.size > 0) {
        const ids = [...this.due].slice(0, BATCH);
        for (const id of ids) this.due.delete(id);
        try {
          const docs = (await this.store.find({ query: { _id: { $in: ids } } })) as Record<string, unknown>[];
          const found = new Set<string>();
          let changed = false;
          for (const doc of docs) {
            const product = searchable(doc);
            found.add(product.id);
            changed = this.search.put(product) || changed;
          }
          for (const id of ids) if (!found.has(id)) changed = this.search.remove(id) || changed;
          if (changed) this.indexChanged();
        } catch (err) {
          // The store is away: the ids stay due and the next change or the catch-up reads them.
          for (const id of ids) this.due.add(id);
          this.warn(`The search index could not read ${ids.length} changed product(s): ${(err as Error).message}`);
          return;
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}

function searchable(doc: Record<string, unknown>): SearchableProduct {
  return {
    id: String(doc._id ?? doc.id),
    sku: String(doc.sku ?? ""),
    name: String(doc.name ?? ""),
    description: String(doc.description ?? ""),
    category: String(doc.category ?? ""),
    price: Number(doc.price ?? 0),
    stock: Number(doc.stock ?? 0),
    archived: doc.archived === true,
    createdAt: (doc.createdAt as Date | string | undefined) ?? new Date(0),
  };
}
