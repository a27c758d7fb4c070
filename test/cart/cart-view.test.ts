/**
 * Pricing a cart (services/cart/cart-view.ts) without a broker: integer cents, lines
 * ordered by name, and lines that cannot be bought as they stand flagged and
 * kept out of `subtotal` and `itemCount`.
 */
import type { CartLine } from "../../services/cart/cart-store";
import { cartCurrency, priceCart, type Catalog, type CatalogProduct } from "../../services/cart/cart-view";

const product = (id: string, overrides: Partial<CatalogProduct> = {}): CatalogProduct => ({
  id,
  sku: `SKU-${id.toUpperCase()}`,
  name: `Product ${id}`,
  price: 1000,
  currency: "USD",
  stock: 10,
  archived: false,
  ...overrides,
});

const catalog = (...products: (CatalogProduct | [string, null])[]): Catalog =>
  new Map(products.map((p) => (Array.isArray(p) ? p : [p.id, p])));

const line = (productId: string, quantity: number): CartLine => ({ productId, quantity });

describe("pricing a cart", () => {
  it("answers an empty cart with no currency", () => {
    expect(priceCart([], new Map())).toEqual({ items: [], itemCount: 0, subtotal: 0, currency: null });
  });

  it("multiplies in integer cents and sums the lines", () => {
    const view = priceCart([line("a", 3), line("b", 2)], catalog(product("a", { price: 199 }), product("b", { price: 1250 })));
    expect(view.items.map((i) => i.lineTotal)).toEqual([597, 2500]);
    expect(view).toMatchObject({ itemCount: 5, subtotal: 3097, currency: "USD" });
  });

  it("orders lines by product name, not by id", () => {
    const view = priceCart([line("a", 1), line("b", 1), line("c", 1)], catalog(product("a", { name: "Zebra" }), product("b", { name: "Apple" }), product("c", { name: "Mango" })));
    expect(view.items.map((i) => i.name)).toEqual(["Apple", "Mango", "Zebra"]);
  });

  it("stays exact at the largest price and quantity a line can have", () => {
    const view = priceCart([line("a", 999)], catalog(product("a", { price: 10_000_000_000, stock: 1000 })));
    expect(view.subtotal).toBe(9_990_000_000_000);
  });

  describe("lines that cannot be bought as they stand", () => {
    it("flags an archived product with nothing available", () => {
      const view = priceCart([line("a", 2), line("b", 1)], catalog(product("a", { archived: true }), product("b")));
      expect(view.items[0]).toMatchObject({ productId: "a", lineTotal: 2000, available: 0, problem: "archived" });
      expect(view).toMatchObject({ itemCount: 1, subtotal: 1000 });
    });

    it("flags a line that holds more than the stock, with the stock as available", () => {
      const view = priceCart([line("a", 5)], catalog(product("a", { stock: 2 })));
      expect(view.items[0]).toMatchObject({ available: 2, problem: "insufficient_stock" });
      expect(view).toMatchObject({ itemCount: 0, subtotal: 0, currency: "USD" });
    });

    it("does not flag a line that holds exactly the stock", () => {
      expect(priceCart([line("a", 2)], catalog(product("a", { stock: 2 }))).items[0].problem).toBeUndefined();
    });

    it("flags a product the catalog no longer knows, without inventing a price", () => {
      const view = priceCart([line("gone", 1)], catalog(["gone", null]));
      expect(view.items).toEqual([
        { productId: "gone", sku: null, name: null, unitPrice: null, quantity: 1, lineTotal: 0, available: 0, problem: "not_found" },
      ]);
      expect(view.currency).toBeNull();
    });

    it("flags a line priced in another currency than the rest of the cart", () => {
      const view = priceCart([line("a", 1), line("b", 1), line("c", 1)], catalog(product("a"), product("b"), product("c", { currency: "EUR" })));
      expect(view.currency).toBe("USD");
      expect(view.items.find((i) => i.productId === "c")).toMatchObject({ problem: "currency_mismatch", available: 10 });
      expect(view.subtotal).toBe(2000);
    });
  });

  describe("the cart's currency", () => {
    it("is the one most lines on sale are priced in, ties broken alphabetically", () => {
      const products = catalog(product("a", { currency: "USD" }), product("b", { currency: "EUR" }), product("c", { currency: "EUR", archived: true }));
      expect(cartCurrency([line("a", 1), line("b", 1)], products)).toBe("EUR");
      expect(cartCurrency([line("b", 1), line("a", 1)], products)).toBe("EUR");
      expect(cartCurrency([line("a", 1), line("c", 1)], products)).toBe("USD");
    });

    it("is null when no line is on sale", () => {
      expect(cartCurrency([line("c", 1)], catalog(product("c", { archived: true })))).toBeNull();
    });
  });
});
