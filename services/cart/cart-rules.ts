/**
 * The cart's limits (issue 5, docs/api.md "Cart") and the client errors that
 * explain them. Each error names the field the client should change.
 */
import { conflict, notFound, unprocessable } from "../../platform/errors";

/** Units one line may hold. */
export const MAX_LINE_QUANTITY = 999;
/** Distinct products one cart may hold. */
export const MAX_CART_LINES = 100;

// No `convert`: "2" or 1.5 in a JSON body is a client mistake, not a quantity.
export const ADD_QUANTITY_RULE = { type: "number", integer: true, min: 1, max: MAX_LINE_QUANTITY } as const;
/** 0 removes the line. */
export const SET_QUANTITY_RULE = { type: "number", integer: true, min: 0, max: MAX_LINE_QUANTITY } as const;

/** Unknown and archived products alike: neither can be put in a cart. */
export const productNotFound = (productId: string) => notFound("Product", { field: "productId", productId });

export const lineNotFound = (productId: string) => notFound("Cart line", { field: "productId", productId });

/** The line would hold more than MAX_LINE_QUANTITY: a rule of the cart, whatever the stock. */
export function lineTooLarge(inCart: number) {
  const room = MAX_LINE_QUANTITY - inCart;
  return unprocessable("Parameters validation error", [
    {
      field: "quantity",
      type: "numberMax",
      message: `A cart line holds at most ${MAX_LINE_QUANTITY} units; this one has ${inCart}, so at most ${room} more can be added.`,
    },
  ]);
}

/** The line would hold more than is in stock: 409 as docs/api.md says, with what is possible now. */
export function notEnoughStock(productId: string, requested: number, available: number, inCart: number) {
  return conflict(`Not enough stock: ${available} available, ${requested} requested`, "OUT_OF_STOCK", {
    field: "quantity",
    productId,
    requested,
    available,
    inCart,
  });
}

/** A 101st product: the request is fine, the cart's state refuses it, hence 409 rather than 422. */
export const cartFull = (maxLines: number) =>
  conflict(`A cart holds at most ${maxLines} different products`, "CART_FULL", { field: "productId", maxLines });

/** One cart, one currency: its subtotal is a single amount. */
export const currencyMismatch = (productId: string, cartCurrency: string, productCurrency: string) =>
  conflict(`This cart is priced in ${cartCurrency}; the product is priced in ${productCurrency}`, "CURRENCY_MISMATCH", {
    field: "productId",
    productId,
    cartCurrency,
    productCurrency,
  });
