/** Prices on the storefront: integer minor units shown as money, never as raw cents. */
import { formatMoney, parseMajor } from "../../web/src/money";

describe("formatMoney", () => {
  it("shows cents as dollars", () => {
    expect(formatMoney(2498, "USD")).toBe("$24.98");
    expect(formatMoney(0, "USD")).toBe("$0.00");
    expect(formatMoney(1234567, "USD")).toBe("$12,345.67");
  });

  it("follows the currency's own minor unit", () => {
    expect(formatMoney(1999, "EUR")).toBe("€19.99");
    expect(formatMoney(1999, "JPY")).toBe("¥1,999");
  });

  it("uses the minor unit the currency service states when given one", () => {
    expect(formatMoney(21518, "KWD", 3)).toBe("KWD\u00a021.518");
    expect(formatMoney(2024, "JPY", 0)).toBe("¥2,024");
    // The stated unit wins over Intl's own for the code.
    expect(formatMoney(12345, "USD", 3)).toBe("$12.345");
  });
});

describe("parseMajor", () => {
  it("reads a typed price as cents", () => {
    expect(parseMajor("24.98")).toBe(2498);
    expect(parseMajor(" 25 ")).toBe(2500);
    expect(parseMajor("0.1")).toBe(10);
  });

  it("refuses what is not a price", () => {
    for (const text of ["", "abc", "-5", "1.234", "1e3", "12,50"]) expect(parseMajor(text)).toBeUndefined();
  });
});
