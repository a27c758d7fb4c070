/**
 * Turns the validated parameters of GET /products into an adapter query.
 * Only values of known types are copied into fixed places of the filter, so
 * nothing a client sends can become an operator, a field name or a regex.
 */

import { PRODUCT_FIELDS } from "./product-model";
import { DISPLAY_CURRENCY_PARAM } from "../../contracts/money-display";

export const SORTS = ["price", "-price", "name", "-name", "createdAt", "-createdAt", "stock", "-stock"] as const;
export type CatalogSort = (typeof SORTS)[number];

/** The default when `q` is given: best match first (services/products/catalog-search.ts). */
export const RELEVANCE = "relevance";
export type ListSort = CatalogSort | typeof RELEVANCE;

export const DEFAULT_SORT: CatalogSort = "-createdAt";
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The validation of GET /products: query-string numbers and booleans are converted, unknown keys (a `query`) dropped. */
export const LIST_PARAMS = {
  q: { type: "string", trim: true, max: 100, optional: true },
  category: { ...PRODUCT_FIELDS.category, optional: true },
  minPrice: { type: "number", integer: true, min: 0, convert: true, optional: true },
  maxPrice: { type: "number", integer: true, min: 0, convert: true, optional: true },
  inStock: { type: "boolean", convert: true, optional: true },
  sort: { type: "enum", values: [...SORTS, RELEVANCE], optional: true },
  facets: { type: "boolean", convert: true, optional: true },
  currency: DISPLAY_CURRENCY_PARAM,
  page: { type: "number", integer: true, min: 1, max: 100_000, convert: true, optional: true },
  pageSize: { type: "number", integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true },
  $$strict: "remove",
};

/** Every parameter changes the answer, so every one is part of the cache key. */
export const LIST_CACHE_KEYS = Object.keys(LIST_PARAMS).filter((key) => !key.startsWith("$$"));

/** What the action's validator lets through (numbers already converted; an optional field may be null). */
export interface CatalogListParams {
  q?: string | null;
  category?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  inStock?: boolean | null;
  sort?: ListSort | null;
  facets?: boolean | null;
  currency?: string | null;
  page?: number | null;
  pageSize?: number | null;
}

export interface CatalogQuery {
  query: Record<string, unknown>;
  /** moleculer-db's form: field names, "-" for descending. */
  sort: string[];
  limit: number;
  offset: number;
  page: number;
  pageSize: number;
}

/** `text` as a regex that matches exactly that text. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A price range that can match nothing is a client mistake, not an empty page. */
export function priceRangeProblem(params: CatalogListParams): { field: string; message: string } | null {
  if (params.minPrice != null && params.maxPrice != null && params.minPrice > params.maxPrice) {
    return { field: "maxPrice", message: "The 'maxPrice' field must not be less than 'minPrice'." };
  }
  return null;
}

export function buildCatalogQuery(params: CatalogListParams): CatalogQuery {
  const query: Record<string, unknown> = { archived: { $ne: true } };

  const text = params.q?.trim();
  if (text) {
    const pattern = new RegExp(escapeRegExp(text), "i");
    query.$or = [{ name: { $regex: pattern } }, { description: { $regex: pattern } }];
  }
  if (params.category) query.category = params.category;

  const price: Record<string, number> = {};
  if (params.minPrice != null) price.$gte = params.minPrice;
  if (params.maxPrice != null) price.$lte = params.maxPrice;
  if (Object.keys(price).length > 0) query.price = price;

  // `inStock=false` means "do not filter", not "only sold out".
  if (params.inStock === true) query.stock = { $gt: 0 };

  const page = params.page ?? 1;
  const pageSize = Math.min(params.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  // The id breaks ties, so equal prices or names page the same way every time.
  const sort = [params.sort && params.sort !== RELEVANCE ? params.sort : DEFAULT_SORT, "_id"];
  return { query, sort, limit: pageSize, offset: (page - 1) * pageSize, page, pageSize };
}

