/**
 * contracts/card.ts: what is checked about a card before any processor sees it,
 * and that no check ever repeats the number or the CVC.
 */
import { cardBrand, cardExpired, cardRule, checkCard, last4, luhnValid, readCard, type CardInput } from "../../contracts/card";
import { TEST_CARDS } from "../../services/payments/simulated-gateway";

const card = (overrides: Partial<CardInput> = {}): CardInput => ({ number: TEST_CARDS.approved, expMonth: 12, expYear: 2040, cvc: "123", ...overrides });
const fields = (problems: { field: string }[]) => problems.map((p) => p.field);
const NOW = new Date("2030-06-15T12:00:00Z");

describe("the Luhn check", () => {
  it("accepts every test card of docs/api.md and well-known test numbers of each brand", () => {
    for (const number of [...Object.values(TEST_CARDS), "5555555555554444", "378282246310005", "6011111111111117", "3530111333300000"]) {
      expect(luhnValid(number)).toBe(true);
    }
  });

  it("refuses a number with one digit changed, and anything that is not digits", () => {
    expect(luhnValid("4242424242424241")).toBe(false);
    expect(luhnValid("4000000000000003")).toBe(false);
    expect(luhnValid("4242-4242")).toBe(false);
    expect(luhnValid("")).toBe(false);
  });
});

describe("brand detection", () => {
  it.each([
    ["4242424242424242", "visa"],
    ["5555555555554444", "mastercard"],
    ["2223003122003222", "mastercard"],
    ["378282246310005", "amex"],
    ["341111111111111", "amex"],
    ["6011111111111117", "discover"],
    ["6445644564456445", "discover"],
    ["6221260000000000", "discover"],
    ["6200000000000005", "unionpay"],
    ["30569309025904", "diners"],
    ["3530111333300000", "jcb"],
    ["9999999999999995", "unknown"],
  ])("%s is %s", (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });

  it("keeps only the last four digits", () => {
    expect(last4("4242424242424242")).toBe("4242");
  });
});

describe("expiry", () => {
  it("is good through the last day of the expiry month", () => {
    expect(cardExpired(6, 2030, new Date("2030-06-30T23:59:59Z"))).toBe(false);
    expect(cardExpired(6, 2030, new Date("2030-07-01T00:00:00Z"))).toBe(true);
    expect(cardExpired(12, 2030, new Date("2030-12-31T12:00:00Z"))).toBe(false);
    expect(cardExpired(12, 2030, new Date("2031-01-01T00:00:00Z"))).toBe(true);
  });
});

describe("checkCard", () => {
  it("passes a good card", () => {
    expect(checkCard(card(), NOW)).toEqual([]);
  });

  it("names card.number when the check digit is wrong", () => {
    expect(fields(checkCard(card({ number: "4242424242424241" }), NOW))).toEqual(["card.number"]);
  });

  it("names the expiry fields of an expired card", () => {
    expect(fields(checkCard(card({ expMonth: 5, expYear: 2030 }), NOW))).toEqual(["card.expMonth", "card.expYear"]);
  });

  it("refuses an expiry decades ahead", () => {
    expect(fields(checkCard(card({ expYear: 2099 }), NOW))).toEqual(["card.expYear"]);
  });

  it("wants four CVC digits for American Express and three for the others", () => {
    expect(checkCard(card({ number: "378282246310005", cvc: "1234" }), NOW)).toEqual([]);
    expect(fields(checkCard(card({ number: "378282246310005", cvc: "123" }), NOW))).toEqual(["card.cvc"]);
    expect(fields(checkCard(card({ cvc: "1234" }), NOW))).toEqual(["card.cvc"]);
  });
});

describe("reading the card param", () => {
  it("normalises spaces and dashes, two-digit years and numeric strings, and drops unknown keys", () => {
    const { card: read, problems } = readCard({ number: "4242 4242-4242 4242", expMonth: "07", expYear: 31, cvc: " 123 ", holder: "X" });
    expect(problems).toEqual([]);
    expect(read).toEqual({ number: "4242424242424242", expMonth: 7, expYear: 2031, cvc: "123" });
  });

  it("names each bad field", () => {
    expect(fields(readCard({ number: 4242424242424242, expMonth: 13, expYear: "soon", cvc: 123 }).problems)).toEqual([
      "card.number",
      "card.expMonth",
      "card.expYear",
      "card.cvc",
    ]);
    expect(fields(readCard("4242424242424242").problems)).toEqual(["card"]);
    expect(fields(readCard({ number: "42424242", expMonth: 1, expYear: 2040, cvc: "123" }).problems)).toEqual(["card.number"]);
  });

  it("reports problems to the validator without the rejected value", () => {
    const errors: { type: string; field?: string; message?: string }[] = [];
    const result = cardRule.custom({ number: "4242x4242424242424242", expMonth: 1, expYear: 2040, cvc: "98765" }, errors);
    expect(result).toBeNull();
    expect(errors.map((e) => e.field)).toEqual(["card.number", "card.cvc"]);
    expect(JSON.stringify(errors)).not.toMatch(/4242|98765/);
    expect(errors.every((e) => !Object.keys(e).includes("actual"))).toBe(true);
  });
});
