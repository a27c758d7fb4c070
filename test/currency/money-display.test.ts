/**
 * Prices in the shopper's currency are exact to the minor unit for every
 * currency of the rates file: the expected amounts were worked out apart,
 * with decimal arithmetic rounded half to even (Python's decimal module).
 */
import fc from "fast-check";
import { convert, divideHalfEven, type CurrencyRate } from "../../contracts/money-display";
import { fileCurrencies } from "../../services/currency/currency-rates";

/** [cents in USD, minor units of the currency] at the rates of services/currency/rates.json. */
const EXPECTED: Record<string, [number, number][]> = {
  USD: [[0, 0], [1, 1], [5, 5], [99, 99], [1999, 1999], [12999, 12999], [24999, 24999], [1000000, 1000000], [9999999999, 9999999999]],
  EUR: [[0, 0], [1, 1], [5, 5], [99, 91], [1999, 1842], [12999, 11979], [24999, 23037], [1000000, 921500], [9999999999, 9214999999]],
  GBP: [[0, 0], [1, 1], [5, 4], [99, 78], [1999, 1578], [12999, 10260], [24999, 19732], [1000000, 789300], [9999999999, 7892999999]],
  CHF: [[0, 0], [1, 1], [5, 4], [99, 87], [1999, 1762], [12999, 11455], [24999, 22029], [1000000, 881200], [9999999999, 8811999999]],
  CAD: [[0, 0], [1, 1], [5, 7], [99, 138], [1999, 2788], [12999, 18127], [24999, 34861], [1000000, 1394500], [9999999999, 13944999999]],
  AUD: [[0, 0], [1, 2], [5, 8], [99, 152], [1999, 3064], [12999, 19925], [24999, 38318], [1000000, 1532800], [9999999999, 15327999998]],
  SEK: [[0, 0], [1, 10], [5, 52], [99, 1038], [1999, 20965], [12999, 136327], [24999, 262177], [1000000, 10487500], [9999999999, 104874999990]],
  JPY: [[0, 0], [1, 2], [5, 8], [99, 150], [1999, 3027], [12999, 19683], [24999, 37853], [1000000, 1514200], [9999999999, 15141999998]],
  KWD: [[0, 0], [1, 3], [5, 15], [99, 304], [1999, 6146], [12999, 39965], [24999, 76859], [1000000, 3074500], [9999999999, 30744999997]],
};

const currencies = fileCurrencies();

describe("prices in the shopper's currency", () => {
  it("covers every currency of the rates file", () => {
    expect(currencies.map((c) => c.code).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(currencies.map((c) => [c.code, c] as const))("converts to %s exactly to the minor unit", (code, currency) => {
    for (const [cents, expected] of EXPECTED[code]) {
      expect(convert(cents, currency)).toEqual({ amount: expected, currency: code });
    }
  });

  it("rounds a half to the even neighbour, both ways", () => {
    const half: CurrencyRate = { code: "EUR", rate: "0.5", decimals: 2 };
    expect(convert(1, half).amount).toBe(0); // 0.5 -> 0
    expect(convert(3, half).amount).toBe(2); // 1.5 -> 2
    expect(convert(5, half).amount).toBe(2); // 2.5 -> 2
    expect(convert(7, half).amount).toBe(4); // 3.5 -> 4
    const yen: CurrencyRate = { code: "JPY", rate: "150", decimals: 0 };
    expect(convert(1, yen).amount).toBe(2); // 1.5 -> 2
    expect(convert(3, yen).amount).toBe(4); // 4.5 -> 4
  });

  it("agrees with rounding half to even done on the digits, for any amount and rate", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 0, max: 8 }), (cents, digits, scale) => {
        const rate = scale === 0 ? String(digits) : `${Math.floor(digits / 10 ** scale)}.${String(digits % 10 ** scale).padStart(scale, "0")}`;
        const exact = BigInt(cents) * BigInt(digits); // in units of 10^-(scale + 2)
        const unit = 10n ** BigInt(scale);
        const floor = exact / unit;
        const rest = exact - floor * unit;
        const up = rest * 2n > unit || (rest * 2n === unit && floor % 2n === 1n);
        expect(convert(cents, { code: "EUR", rate, decimals: 2 }).amount).toBe(Number(up ? floor + 1n : floor));
      }),
    );
  });

  it("divides half to even", () => {
    expect([divideHalfEven(5n, 2n), divideHalfEven(7n, 2n), divideHalfEven(10n, 4n), divideHalfEven(11n, 4n), divideHalfEven(9n, 4n)]).toEqual([2n, 4n, 2n, 3n, 2n]);
  });
});
