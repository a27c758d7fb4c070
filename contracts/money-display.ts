/**
 * Prices shown in the shopper's currency (docs/api.md, "Currencies"): the
 * real price stays as it is and a `display` money object is added next to
 * it. Conversion is exact: integer arithmetic on the rate's decimal digits,
 * rounded half to even (banker's rounding) to the currency's minor unit.
 */

/** The shop's own currency: every price is in it, every rate is to it. */
export const BASE_CURRENCY = "USD";
/** Minor units of the base currency (cents). */
export const BASE_DECIMALS = 2;

/** `currency=EUR` on a read; an unknown code is a 422 naming `currency` (the currency service says so). */
export const DISPLAY_CURRENCY_PARAM = { type: "string", trim: true, uppercase: true, pattern: /^[A-Z]{3}$/, optional: true } as const;

/** One unit of the base currency is `rate` units of `code` (a decimal string: "0.9215"). */
export interface CurrencyRate {
  code: string;
  rate: string;
  /** ISO 4217 minor units: 2 for EUR, 0 for JPY, 3 for KWD. */
  decimals: number;
}

export interface Money {
  /** Integer minor units of `currency`. */
  amount: number;
  currency: string;
}

/** A rate as written in the rates file or by an admin: up to 9 digits, up to 8 decimals, above zero. */
export const RATE_PATTERN = /^(?:0|[1-9]\d{0,8})(?:\.\d{1,8})?$/;

/** `numerator / denominator` rounded half to even; both positive or zero. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** `amount` base minor units (cents) in `rate.code`. */
export function convert(amount: number, rate: CurrencyRate): Money {
  const [whole, fraction = ""] = rate.rate.split(".");
  const digits = BigInt(whole + fraction);
  const numerator = BigInt(amount) * digits * 10n ** BigInt(rate.decimals);
  const denominator = 10n ** BigInt(fraction.length + BASE_DECIMALS);
  return { amount: Number(divideHalfEven(numerator, denominator)), currency: rate.code };
}
