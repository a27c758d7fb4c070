/**
 * GET /products with `q`: the page of a ranked search. The index (one per
 * node) picks and orders the ids; the store answers the rows of the page
 * alone, so the stock shown is the store's, not the index's.
 */
import { toPage, type Page } from "../../contracts/paging";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RELEVANCE, type CatalogListParams } from "./catalog-query";
import type { CatalogSearch, Facets } from "./catalog-search";
import { publicProduct, type ProductDoc, type PublicProduct } from "./product-model";

export type CatalogPage = Page<PublicProduct> & { facets?: Facets };

export async function searchedPage(search: CatalogSearch, store: DbAdapter, params: CatalogListParams & { q: string }): Promise<CatalogPage> {
  const page = params.page ?? 1;
  const pageSize = Math.min(params.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const answer = search.search(params.q, params, params.sort ?? RELEVANCE, params.facets === true, page * pageSize);
  const pageIds = answer.ids.slice((page - 1) * pageSize, page * pageSize);
  const docs = pageIds.length > 0 ? ((await store.find({ query: { _id: { $in: pageIds } } })) as ProductDoc[]) : [];
  const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
  // Archived between the index's answer and this read: left out, as the next search will.
  const rows = pageIds.flatMap((id) => {
    const doc = byId.get(id);
    return doc && !doc.archived ? [publicProduct(doc)] : [];
  });
  return { ...toPage(rows, answer.total, page, pageSize), ...(answer.facets ? { facets: answer.facets } : {}) };
}
