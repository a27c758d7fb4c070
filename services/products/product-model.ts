/**
 * The product as stored and as answered, the validation of its fields
 * (fastest-validator rules shared by create and update) and its indexes.
 */
import type { IndexSpec } from "../../platform/db/db-adapter";
import { PRODUCT_ID_RULE } from "../../contracts/ids";

/** The service and the catalog generator create the same ones. */
export const PRODUCT_INDEXES: IndexSpec[] = [{ fields: ["sku"], unique: true }, { fields: ["category"] }];

export interface ProductDoc {
  _id?: string;
  id?: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  /** Integer minor units (cents). */
  price: number;
  /** ISO 4217 code. */
  currency: string;
  /** What can still be bought. */
  stock: number;
  /** Held by open reservations; on hand = stock + reserved. */
  reserved: number;
  /** The orders whose reservations hold units of it: order (products/product-ledger.ts holdKey) -> attempt of its reservation. */
  holds?: Record<string, string>;
  images: string[];
  /** For shipping quotes. */
  weightGrams: number;
  archived: boolean;
  createdAt: Date | string;
  updatedAt: Date | string;
}

export interface PublicProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: number;
  currency: string;
  stock: number;
  images: string[];
  weightGrams: number;
  createdAt: string;
  updatedAt: string;
}

/** What admins see in answers to their own changes. */
export interface AdminProduct extends PublicProduct {
  reserved: number;
  archived: boolean;
}

const iso = (date: Date | string) => new Date(date).toISOString();

export function publicProduct(doc: ProductDoc): PublicProduct {
  return {
    id: String(doc.id ?? doc._id),
    sku: doc.sku,
    name: doc.name,
    description: doc.description,
    category: doc.category,
    price: doc.price,
    currency: doc.currency,
    stock: doc.stock,
    images: [...(doc.images ?? [])],
    weightGrams: doc.weightGrams,
    createdAt: iso(doc.createdAt),
    updatedAt: iso(doc.updatedAt),
  };
}

export function adminProduct(doc: ProductDoc): AdminProduct {
  return { ...publicProduct(doc), reserved: doc.reserved, archived: doc.archived === true };
}

export const MAX_PRICE = 10_000_000_000;
export const MAX_STOCK = 1_000_000_000;

/** Rules of the editable fields; `optional` is added per action. */
export const PRODUCT_FIELDS = {
  sku: { type: "string", trim: true, uppercase: true, min: 1, max: 64, pattern: /^[A-Z0-9][A-Z0-9._-]*$/ },
  name: { type: "string", trim: true, min: 1, max: 200 },
  description: { type: "string", trim: true, max: 5000 },
  category: { type: "string", trim: true, lowercase: true, min: 1, max: 40, pattern: /^[a-z0-9]+(?:-[a-z0-9]+)*$/ },
  // No `convert`: "1999" or 19.99 in a body is a client mistake, not a price.
  price: { type: "number", integer: true, min: 0, max: MAX_PRICE },
  currency: { type: "string", pattern: /^[A-Z]{3}$/ },
  images: { type: "array", max: 20, items: { type: "url" } },
  weightGrams: { type: "number", integer: true, min: 0, max: 1_000_000 },
} as const;

export type EditableField = keyof typeof PRODUCT_FIELDS;
export const EDITABLE_FIELDS = Object.keys(PRODUCT_FIELDS) as EditableField[];

/** POST /products: what is not given gets a default. */
export const CREATE_PARAMS = {
  ...PRODUCT_FIELDS,
  description: { ...PRODUCT_FIELDS.description, default: "" },
  currency: { ...PRODUCT_FIELDS.currency, default: "USD" },
  // optional as well: the function default does not survive the registry, and the document must not call images required.
  images: { ...PRODUCT_FIELDS.images, optional: true, default: () => [] },
  weightGrams: { ...PRODUCT_FIELDS.weightGrams, default: 0 },
  stock: { type: "number", integer: true, min: 0, max: MAX_STOCK, default: 0 },
  $$strict: "remove",
};

const stockIsSeparate = (field: string) => ({
  type: "forbidden",
  messages: { forbidden: `The '${field}' field cannot be changed here: use POST /products/:id/stock.` },
});

/** PATCH /products/:id: any editable field; stock and reserved have their own route, and say so. */
export const UPDATE_PARAMS = {
  id: PRODUCT_ID_RULE,
  ...Object.fromEntries(EDITABLE_FIELDS.map((field) => [field, { ...PRODUCT_FIELDS[field], optional: true }])),
  stock: stockIsSeparate("stock"),
  reserved: stockIsSeparate("reserved"),
  $$strict: "remove",
};
