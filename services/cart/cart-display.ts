/**
 * GET /cart?currency=EUR: every line's total and the subtotal also in the
 * shopper's currency (`display`), next to the real amounts the checkout charges.
 */
import { convert, type CurrencyRate, type Money } from "../../contracts/money-display";
import type { CartItem, CartView } from "./cart-view";

export type DisplayedCart = Omit<CartView, "items"> & { items: (CartItem & { display?: Money })[]; display?: Money };

export function displayedCart(view: CartView, rate: CurrencyRate | null): DisplayedCart {
  if (!rate) return view;
  return {
    ...view,
    items: view.items.map((item) => ({ ...item, display: convert(item.lineTotal, rate) })),
    display: convert(view.subtotal, rate),
  };
}
