/**
 * The money of an order (services/orders/order-totals.ts): lines priced from the
 * catalog in integer cents, subtotal and total, and the products a cart
 * holds that can no longer be sold.
 */
import { emptyCart, orderTotals, priceItems, type CatalogEntry } from "../../services/orders/order-totals";

const product = (id: string, overrides: Partial<CatalogEntry> = {}): CatalogEntry => ({ id, sku: `SKU-${id}`, name: `Product ${id}`, price: 1999, currency: "USD", archived: false, ...overrides });

describe("pricing a cart", () => {
  it("prices each line from the catalog and adds them up in cents", () => {
    const priced = priceItems(
      [
        { productId: "a", quantity: 3 },
        { productId: "b", quantity: 1 },
      ],
      [product("a", { price: 1999 }), product("b", { price: 250 })],
    );
    expect(priced).toEqual({
      currency: "USD",
      subtotal: 6247,
      items: [
        { productId: "a", sku: "SKU-a", name: "Product a", unitPrice: 1999, quantity: 3, lineTotal: 5997 },
        { productId: "b", sku: "SKU-b", name: "Product b", unitPrice: 250, quantity: 1, lineTotal: 250 },
      ],
    });
  });

  it("makes one line of two lines of a product", () => {
    const priced = priceItems(
      [
        { productId: "a", quantity: 1 },
        { productId: "a", quantity: 2 },
      ],
      [product("a", { price: 100 })],
    );
    expect(priced.items).toEqual([expect.objectContaining({ productId: "a", quantity: 3, lineTotal: 300 })]);
  });

  it("names every unknown and archived product in one 409", () => {
    expect(() => priceItems([{ productId: "gone", quantity: 1 }, { productId: "old", quantity: 1 }, { productId: "ok", quantity: 1 }], [product("old", { archived: true }), product("ok")])).toThrow(
      expect.objectContaining({
        code: 409,
        type: "PRODUCT_UNAVAILABLE",
        data: { products: [{ productId: "gone", reason: "unknown" }, { productId: "old", reason: "archived" }] },
      }),
    );
  });

  it("refuses a cart priced in two currencies", () => {
    expect(() => priceItems([{ productId: "a", quantity: 1 }, { productId: "b", quantity: 1 }], [product("a"), product("b", { currency: "EUR" })])).toThrow(
      expect.objectContaining({ code: 409, type: "CURRENCY_MISMATCH" }),
    );
  });

  it("is 422 EMPTY_CART for no lines", () => {
    expect(() => priceItems([], [])).toThrow(expect.objectContaining({ code: 422, type: "EMPTY_CART", data: [expect.objectContaining({ field: "cart" })] }));
    expect(emptyCart().name).toBe("ValidationError");
  });

  it("refuses sums that would no longer be exact", () => {
    expect(() => priceItems([{ productId: "a", quantity: 10_000 }], [product("a", { price: Number.MAX_SAFE_INTEGER })])).toThrow(RangeError);
  });
});

describe("order totals", () => {
  it("adds the shipping cost to the subtotal", () => {
    expect(orderTotals(3998, 599)).toEqual({ subtotal: 3998, shippingCost: 599, total: 4597 });
    expect(orderTotals(6000, 0)).toEqual({ subtotal: 6000, shippingCost: 0, total: 6000 });
  });

  it("takes only whole, non-negative cents", () => {
    expect(() => orderTotals(10.5, 0)).toThrow(RangeError);
    expect(() => orderTotals(100, -1)).toThrow(RangeError);
  });
});
