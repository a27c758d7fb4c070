/**
 * GET /products with `q`: the page of a ranked search. The index (one per
 * node) picks and orders the ids; the store answers the rows of the page by
 * id. A page read once is kept with the index's answer it was read for: the
 * index replaces that answer at its next change (a product heard of through
 * `product.changed`, stock moves included), so a kept page is as current as
 * the index, and a query repeated meanwhile costs no read of the store.
 */
import { toPage, type Page } from "../../contracts/paging";
import type { DbAdapter } from "../../platform/db/db-adapter";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RELEVANCE, type CatalogListParams } from "./catalog-query";
import type { CatalogSearch, Facets, SearchAnswer } from "./catalog-search";
import { publicProduct, type ProductDoc, type PublicProduct } from "./product-model";

export type CatalogPage = Page<PublicProduct> & { facets?: Facets };

/** Pages read per answer of the index, by "page/pageSize"; gone with the answer. */
const pagesRead = new WeakMap<SearchAnswer, Map<string, PublicProduct[]>>();

export async function searchedPage(search: CatalogSearch, store: DbAdapter, params: CatalogListParams & { q: string }): Promise<CatalogPage> {
  const page = params.page ?? 1;
  const pageSize = Math.min(params.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const answer = search.search(params.q, params, params.sort ?? RELEVANCE, params.facets === true, page * pageSize);
  const rows = await rowsOf(answer, store, page, pageSize);
  return { ...toPage(rows, answer.total, page, pageSize), ...(answer.facets ? { facets: answer.facets } : {}) };
}

async function rowsOf(answer: SearchAnswer, store: DbAdapter, page: number, pageSize: number): Promise<PublicProduct[]> {
  const key = `${page}/${pageSize}`;
  const known = pagesRead.get(answer)?.get(key);
  if (known) return known;
  const pageIds = answer.ids.slice((page - 1) * pageSize, page * pageSize);
  const docs = pageIds.length > 0 ? ((await store.find({ query: { _id: { $in: pageIds } } })) as ProductDoc[]) : [];
  const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
  // Archived between the index's answer and this read: left out, as the next search will.
  const rows = pageIds.flatMap((id) => {
    const doc = byId.get(id);
    return doc && !doc.archived ? [publicProduct(doc)] : [];
  });
  // Only a full page is kept: a short one means the store and the index disagreed for a moment.
  if (rows.length === pageIds.length) {
    const pages = pagesRead.get(answer) ?? new Map<string, PublicProduct[]>();
    pages.set(key, rows);
    pagesRead.set(answer, pages);
  }
  return rows;
}
