const formats = new Map<string, Intl.NumberFormat>();

/**
 * Integer minor units in their currency as money: formatMoney(2498, "USD") is
 * "$24.98". `decimals` is the currency's minor unit as the currency service
 * states it (0 for JPY, 3 for KWD); without it, Intl's own for the code.
 */
export function formatMoney(minor: number, currency: string, decimals?: number): string {
  const key = `${currency}:${decimals ?? ""}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency,
      ...(decimals === undefined ? {} : { minimumFractionDigits: decimals, maximumFractionDigits: decimals }),
    });
    formats.set(key, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** A price typed in major units ("24.98") as cents, or undefined when it is not a price. */
export function parseMajor(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(trimmed)) return undefined;
  return Math.round(Number(trimmed) * 100);
}
