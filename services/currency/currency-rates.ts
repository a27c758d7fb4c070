/**
 * The currencies the shop shows prices in and their rates to the base
 * currency: the committed rates file (services/currency/rates.json) read at
 * start, and the checks of an admin's new rate.
 */
import { BASE_CURRENCY, RATE_PATTERN, type CurrencyRate } from "../../contracts/money-display";
import { unprocessable } from "../../platform/errors";
import ratesFile from "./rates.json";

export interface CurrencyDoc extends CurrencyRate {
  _id?: string;
  name: string;
  updatedAt: Date | string;
}

export interface PublicCurrency extends CurrencyRate {
  name: string;
  updatedAt: string;
}

/** The rates file's currencies, checked: a bad file stops the start rather than showing wrong prices. */
export function fileCurrencies(file: { base: string; currencies: { code: string; name: string; decimals: number; rate: string }[] } = ratesFile): Omit<CurrencyDoc, "updatedAt">[] {
  if (file.base !== BASE_CURRENCY) throw new Error(`The rates file is to ${file.base}; prices are in ${BASE_CURRENCY}.`);
  return file.currencies.map(({ code, name, decimals, rate }) => {
    if (!/^[A-Z]{3}$/.test(code) || !Number.isInteger(decimals) || decimals < 0 || decimals > 4 || !RATE_PATTERN.test(rate) || Number(rate) <= 0) {
      throw new Error(`The rates file has a bad entry for '${code}'.`);
    }
    if (code === BASE_CURRENCY && rate !== "1") throw new Error(`The base currency ${BASE_CURRENCY} must have the rate 1.`);
    return { code, name, decimals, rate };
  });
}

/** An admin's rate: a positive decimal (string or JSON number), never for the base currency. */
export function checkedRate(code: string, rate: string | number): string {
  if (code === BASE_CURRENCY) throw unprocessable("Parameters validation error", [{ field: "code", message: `The rate of the base currency ${BASE_CURRENCY} is always 1.` }]);
  const text = typeof rate === "number" ? String(rate) : rate.trim();
  if (!RATE_PATTERN.test(text) || Number(text) <= 0) {
    throw unprocessable("Parameters validation error", [{ field: "rate", message: "The 'rate' field must be a positive decimal with at most 9 digits before and 8 after the point, e.g. \"0.9215\"." }]);
  }
  return text;
}

export function publicCurrency(doc: CurrencyDoc): PublicCurrency {
  return { code: doc.code, name: doc.name, decimals: doc.decimals, rate: doc.rate, updatedAt: new Date(doc.updatedAt).toISOString() };
}

/** The 422 of a read with `currency=XYZ` the shop does not know. */
export function unknownCurrency(code: string) {
  return unprocessable("Parameters validation error", [{ field: "currency", message: `The currency '${code}' is not supported; GET /api/currencies lists those that are.` }]);
}
