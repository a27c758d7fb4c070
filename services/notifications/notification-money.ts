/**
 * Money as people read it, from integer minor units: 123456 USD -> "$1,234.56".
 * The amount is never turned into a fraction: the major and minor parts are
 * split with integer arithmetic and only the major part (an integer) goes
 * through Intl, which supplies the symbol, grouping and decimal separator of
 * the locale; the minor digits are put in its fraction slot as they are.
 */

interface CurrencyFormat {
  format: Intl.NumberFormat;
  /** Digits of the minor unit; resolvedOptions() builds a new object on every call, so it is read once. */
  digits: number;
}

const formats = new Map<string, CurrencyFormat>();

function formatFor(currency: string, locale: string): CurrencyFormat {
  const key = `${locale}:${currency}`;
  let known = formats.get(key);
  if (!known) {
    const format = new Intl.NumberFormat(locale, { style: "currency", currency });
    known = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    formats.set(key, known);
  }
  return known;
}

/** Minor units per major unit of the currency: 100 for USD, 1 for JPY, 1000 for BHD. */
export function minorUnitsPer(currency: string, locale = "en-US"): number {
  return 10 ** formatFor(currency, locale).digits;
}

export function formatMoney(amount: number, currency: string, locale = "en-US"): string {
  if (!Number.isSafeInteger(amount)) throw new TypeError(`Money is an integer number of minor units, got ${amount}`);
  const { format, digits } = formatFor(currency, locale);
  const unit = 10 ** digits;
  const abs = Math.abs(amount);
  const minor = abs % unit;
  // An exact multiple of `unit` divided by it: an exact integer.
  const major = (abs - minor) / unit;
  let text = "";
  for (const part of format.formatToParts(major)) text += part.type === "fraction" ? String(minor).padStart(digits, "0") : part.value;
  return amount < 0 ? `-${text}` : text;
}
