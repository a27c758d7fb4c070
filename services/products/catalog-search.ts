/**
 * The ranked full-text search of GET /products?q=... (docs/search.md): an
 * in-memory MiniSearch index over name, description, category and sku, plus
 * the few facts a filter, a sort or a facet needs (category, price, stock,
 * name, creation time), so a query never scans the store. The store stays the
 * truth for the rows answered: a search gives ids, the page is read by id.
 */
import { LRUCache } from "lru-cache";
import MiniSearch, { type SearchResult } from "minisearch";
import type { CatalogSort } from "./catalog-query";
import type { ProductDoc } from "./product-model";
import { VerbatimCorpus } from "./verbatim-corpus";

/** What the index needs of a product; archived ones are never in it. */
export type SearchableProduct = Pick<ProductDoc, "sku" | "name" | "description" | "category" | "price" | "stock" | "createdAt"> & {
  id: string;
  archived?: boolean;
};

interface Facts {
  category: string;
  price: number;
  stock: number;
  name: string;
  createdAt: number;
}

export interface SearchFilters {
  category?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  inStock?: boolean | null;
}

export interface CategoryFacet {
  name: string;
  count: number;
}

/** [min, max) in cents; max null: no upper bound. */
export interface PriceBandFacet {
  min: number;
  max: number | null;
  count: number;
}

export interface Facets {
  categories: CategoryFacet[];
  priceBands: PriceBandFacet[];
}

/** Shared with the answer cache: read it, never change it. */
export interface SearchAnswer {
  /** How many products match. */
  readonly total: number;
  /** The matches in the order asked: all of them, or at least the first `upTo` asked for. */
  readonly ids: readonly string[];
  readonly facets?: Facets;
}

export interface CatalogSearchOptions {
  /** Answers kept until the index changes (every change empties the cache); 0: none. */
  cachedAnswers?: number;
}

const DEFAULT_CACHED_ANSWERS = 1000;
/**
 * A cached answer keeps the first ids only (ten pages of the largest size):
 * a query matching a quarter of 100,000 products would otherwise hold 25,000.
 * A page further down is answered by a search of its own.
 */
export const CACHED_IDS = 1000;

/** The price bands of the facets, in cents: under 10, 10-25, 25-50, 50-100, 100-250, 250 and more. */
export const PRICE_BANDS: readonly [number, number | null][] = [
  [0, 1000],
  [1000, 2500],
  [2500, 5000],
  [5000, 10000],
  [10000, 25000],
  [25000, null],
];

/** A name match counts three times a description match; a sku is as telling as a name. */
const BOOST = { name: 3, sku: 3, category: 1.5, description: 1 };

/**
 * Plurals and their singulars meet on one term (S-stemmer, Harman 1991):
 * "batteries" -> "battery", "glasses" -> "glasse", "socks" -> "sock". Applied
 * to the indexed text and to the query alike, so it only has to be consistent.
 */
export function singular(term: string): string {
  if (term.length > 4 && term.endsWith("ies") && !term.endsWith("eies") && !term.endsWith("aies")) return `${term.slice(0, -3)}y`;
  if (term.length > 3 && term.endsWith("es") && !/(?:aes|ees|oes)$/.test(term)) return term.slice(0, -1);
  if (term.length > 3 && term.endsWith("s") && !/(?:us|ss)$/.test(term)) return term.slice(0, -1);
  return term;
}

/** A single letter tells nothing (and as a prefix it would match every product). */
function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  return lower.length < 2 ? null : singular(lower);
}

/** One edit for words of 5 letters or more; shorter words must be spelt right (or be a prefix). */
const fuzziness = (term: string) => (term.length >= 5 ? 1 : false);

const textOf = (p: SearchableProduct) => `${p.name}\n${p.description}\n${p.category}\n${p.sku}`.toLowerCase();

const sameFacts = (a: Facts, b: Facts) =>
  a.category === b.category && a.price === b.price && a.stock === b.stock && a.name === b.name && a.createdAt === b.createdAt;

export class CatalogSearch {
  private readonly index = new MiniSearch<SearchableProduct>({
    fields: ["name", "description", "category", "sku"],
    idField: "id",
    processTerm,
    searchOptions: { boost: BOOST, prefix: true, fuzzy: fuzziness, weights: { fuzzy: 0.45, prefix: 0.35 } },
  });
  private readonly facts = new Map<string, Facts>();
  private readonly texts = new VerbatimCorpus();
  private readonly answers?: LRUCache<string, SearchAnswer>;

  constructor(options: CatalogSearchOptions = {}) {
    const max = options.cachedAnswers ?? DEFAULT_CACHED_ANSWERS;
    if (max > 0) this.answers = new LRUCache({ max });
  }

  get size(): number {
    return this.facts.size;
  }

  /**
   * Adds, changes or (archived) drops one product; a change of stock or price
   * alone leaves the text index alone. Answers whether a search may now answer
   * differently.
   */
  put(product: SearchableProduct): boolean {
    if (product.archived) return this.remove(product.id);
    const text = textOf(product);
    const facts: Facts = {
      category: product.category,
      price: product.price,
      stock: product.stock,
      name: product.name,
      createdAt: new Date(product.createdAt).getTime(),
    };
    const known = this.facts.get(product.id);
    const textChanged = !known || this.texts.textOf(product.id) !== text;
    // The catch-up pass and changes of `reserved` alone put products as they are: the cached answers stay.
    if (known && !textChanged && sameFacts(known, facts)) return false;
    if (known && textChanged) this.index.discard(product.id);
    if (textChanged) {
      this.index.add(product);
      this.texts.set(product.id, text);
    }
    this.facts.set(product.id, facts);
    this.answers?.clear();
    return true;
  }

  /** Answers whether the product was in the index. */
  remove(id: string): boolean {
    if (!this.facts.delete(id)) return false;
    this.index.discard(id);
    this.texts.delete(id);
    this.answers?.clear();
    return true;
  }

  has(id: string): boolean {
    return this.facts.has(id);
  }

  /**
   * Matches of `q` that pass the filters, by relevance or by `sort`. Products
   * that contain `q` as typed (any case) come first and alone, as the
   * catalog's substring search always answered; when none does, every word
   * must match (typos and prefixes allowed), and when no product has them
   * all, products with any of them are ranked, so a stray word does not
   * empty the page.
   */
  search(q: string, filters: SearchFilters, sort: CatalogSort | "relevance", withFacets: boolean, upTo = CACHED_IDS): SearchAnswer {
    const compute = () => this.answer(q, filters, sort, withFacets);
    if (upTo > CACHED_IDS) return compute();
    return this.remembered(["q", q, sort, withFacets], filters, () => {
      const answer = compute();
      return answer.ids.length > CACHED_IDS ? { ...answer, ids: answer.ids.slice(0, CACHED_IDS) } : answer;
    });
  }

  /** Facets of the whole listed catalog under the filters (a list without `q`). */
  facetsOfAll(filters: SearchFilters): Facets {
    const { facets } = this.remembered(["all"], filters, () => ({
      total: this.facts.size,
      ids: [],
      facets: this.facetsOf([...this.facts.keys()].map((id) => ({ id })), filters),
    }));
    return facets as Facets;
  }

  /** The cached answer to the same question since the index last changed, or `compute`'s. */
  private remembered(question: unknown[], filters: SearchFilters, compute: () => SearchAnswer): SearchAnswer {
    if (!this.answers) return compute();
    const key = JSON.stringify([...question, filters.category || null, filters.minPrice ?? null, filters.maxPrice ?? null, filters.inStock === true]);
    let answer = this.answers.get(key);
    if (!answer) {
      answer = compute();
      this.answers.set(key, answer);
    }
    return answer;
  }

  private answer(q: string, filters: SearchFilters, sort: CatalogSort | "relevance", withFacets: boolean): SearchAnswer {
    let matches = this.index.search(q, { combineWith: "AND" });
    if (matches.length === 0) matches = this.index.search(q, { combineWith: "OR" });
    const verbatim = this.verbatim(q, matches);
    const known = verbatim.length > 0 ? verbatim : matches.map((m) => ({ id: String(m.id) })).filter((m) => this.facts.has(m.id));
    const kept = known.filter((m) => this.passes(m.id, filters));
    const ordered = sort === "relevance" ? kept : this.sorted(kept, sort);
    return { total: ordered.length, ids: ordered.map((m) => m.id), ...(withFacets ? { facets: this.facetsOf(known, filters) } : {}) };
  }

  /** The products containing `q` as typed, in the order of the ranked `matches` (those it missed after them). */
  private verbatim(q: string, matches: SearchResult[]): { id: string }[] {
    const found = this.texts.containing(q.toLowerCase());
    if (found.size === 0) return [];
    const ranked = matches.map((m) => String(m.id)).filter((id) => found.has(id));
    for (const id of ranked) found.delete(id);
    return [...ranked, ...found].map((id) => ({ id }));
  }

  private passes(id: string, filters: SearchFilters, skip?: "category" | "price"): boolean {
    const f = this.facts.get(id) as Facts;
    if (skip !== "category" && filters.category && f.category !== filters.category) return false;
    if (skip !== "price" && filters.minPrice != null && f.price < filters.minPrice) return false;
    if (skip !== "price" && filters.maxPrice != null && f.price > filters.maxPrice) return false;
    if (filters.inStock === true && f.stock <= 0) return false;
    return true;
  }

  /** The same order as the store's sorts (ties broken by id, as buildCatalogQuery does). */
  private sorted(matches: { id: string }[], sort: CatalogSort): { id: string }[] {
    const field = sort.replace(/^-/, "") as "price" | "name" | "createdAt";
    const direction = sort.startsWith("-") ? -1 : 1;
    // Each value looked up once, not once per comparison.
    const keyed = matches.map((m) => ({ id: m.id, value: (this.facts.get(m.id) as Facts)[field] }));
    return keyed.sort((a, b) => {
      const order = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      if (order !== 0) return order * direction;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }

  /**
   * Counts per category under every filter but the category, and per price
   * band under every filter but the price: each facet shows what choosing
   * another value of it would give.
   */
  private facetsOf(matches: { id: unknown }[], filters: SearchFilters): Facets {
    const categories = new Map<string, number>();
    const bands = PRICE_BANDS.map(() => 0);
    for (const match of matches) {
      const id = String(match.id);
      const f = this.facts.get(id) as Facts;
      if (this.passes(id, filters, "category")) categories.set(f.category, (categories.get(f.category) ?? 0) + 1);
      if (this.passes(id, filters, "price")) {
        const band = PRICE_BANDS.findIndex(([min, max]) => f.price >= min && (max === null || f.price < max));
        bands[band] += 1;
      }
    }
    return {
      categories: [...categories].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
      priceBands: PRICE_BANDS.map(([min, max], i) => ({ min, max, count: bands[i] })),
    };
  }
}
