/**
 * The currency the shopper sees prices in (the header's picker), kept in
 * localStorage. Prices stay in the shop's base currency: reads ask the API
 * for a `display` amount next to the real price (docs/api.md, "Currencies"),
 * and checkout charges the base currency and records the rate shown.
 */
import { computed, reactive } from "vue";
import { BASE_CURRENCY, convert } from "../../contracts/money-display";
import { api, read } from "./api";
import { formatMoney } from "./money";
import type { Currencies, DisplayCurrency, Money } from "./types";

const CURRENCY_KEY = "shop.currency";

function storedChoice(): string {
  const code = localStorage.getItem(CURRENCY_KEY);
  return code && /^[A-Z]{3}$/.test(code) ? code : BASE_CURRENCY;
}

export const currencyState = reactive<{ base: string; list: DisplayCurrency[]; chosen: string }>({
  base: BASE_CURRENCY,
  list: [],
  chosen: storedChoice(),
});

/** The `currency` query value of reads: the chosen code, or undefined for the base currency. */
export const displayCode = computed(() => (currencyState.chosen === currencyState.base ? undefined : currencyState.chosen));

/** The chosen currency's entry once the list is read (its rate and minor unit). */
export const displayRate = computed(() => currencyState.list.find((c) => c.code === displayCode.value));

export function chooseCurrency(code: string): void {
  currencyState.chosen = code;
  if (code === currencyState.base) localStorage.removeItem(CURRENCY_KEY);
  else localStorage.setItem(CURRENCY_KEY, code);
}

/** Reads the supported currencies; a remembered code the shop no longer offers falls back to the base currency. */
export async function loadCurrencies(): Promise<void> {
  const answer = await read<Currencies>(api.GET("/api/currencies"));
  currencyState.base = answer.base;
  currencyState.list = answer.currencies;
  if (!answer.currencies.some((c) => c.code === currencyState.chosen)) chooseCurrency(answer.base);
}

/** Money with the minor unit the currency service states for its code. */
export function formatShown(money: Money): string {
  return formatMoney(money.amount, money.currency, currencyState.list.find((c) => c.code === money.currency)?.decimals);
}

/** What a price is shown as: the API's display amount when one was asked for, else the real price. */
export function shownPrice(amount: number, currency: string, display?: Money): string {
  return display && display.currency === displayCode.value ? formatShown(display) : formatMoney(amount, currency);
}

/**
 * A base amount the API gave no display for (a cart total with shipping) in
 * the chosen currency, by the same exact conversion the API and checkout use;
 * undefined for the base currency or before the rates are read.
 */
export function convertForDisplay(amount: number): Money | undefined {
  return displayRate.value ? convert(amount, displayRate.value) : undefined;
}
