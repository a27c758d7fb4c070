/**
 * `currency=EUR` on catalog reads: each product gets `display`, its price in
 * that currency (contracts/money-display.ts), next to the real price.
 */
import type { Context } from "moleculer";
import { convert, type CurrencyRate, type Money } from "../../contracts/money-display";

/** The rate of the asked currency (the currency service answers 422 naming `currency` for an unknown one). */
export function displayRate(ctx: Context, currency: string | null | undefined): Promise<CurrencyRate | null> {
  return currency ? ctx.call<CurrencyRate, { currency: string }>("currency.rate", { currency }) : Promise.resolve(null);
}

export function withDisplay<T extends { price: number }>(product: T, rate: CurrencyRate | null): T & { display?: Money } {
  return rate ? { ...product, display: convert(product.price, rate) } : product;
}
